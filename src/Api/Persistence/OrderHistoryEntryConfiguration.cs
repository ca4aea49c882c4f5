using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Persistence;

public sealed class OrderHistoryEntryConfiguration : IEntityTypeConfiguration<OrderHistoryEntry>
{
    public void Configure(EntityTypeBuilder<OrderHistoryEntry> entry)
    {
        entry.ToTable("order_history");
        entry.HasKey(e => e.Id);
        entry.Property(e => e.Id).ValueGeneratedOnAdd();
        entry.HasOne<Order>().WithMany().HasForeignKey(e => e.OrderId);
        entry.HasIndex(e => new { e.OrderId, e.At });
        entry.Property(e => e.Kind).HasConversion<string>().HasMaxLength(32);
        entry.Property(e => e.Note).HasMaxLength(OrderHistoryEntry.MaxNoteLength);
        entry.Property(e => e.ClearedAttention).HasMaxLength(2000);
        entry.Property(e => e.RequestedBy).HasMaxLength(100);
    }
}
