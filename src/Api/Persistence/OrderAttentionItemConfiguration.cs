using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Persistence;

public sealed class OrderAttentionItemConfiguration : IEntityTypeConfiguration<OrderAttentionItem>
{
    public void Configure(EntityTypeBuilder<OrderAttentionItem> item)
    {
        item.ToTable("order_attention");
        item.HasKey(i => i.Id);
        item.Property(i => i.Id).ValueGeneratedOnAdd();
        // An order's open items are loaded with it (OrderConfiguration); the resolved ones are history and stay
        // behind, so an order with a long past loads no more than what is open. Reading resolved items takes
        // IgnoreQueryFilters().
        item.HasQueryFilter(i => i.ResolvedAt == null);
        // Open items first: the orders needing attention (gauges, filters) and each order's open items.
        item.HasIndex(i => new { i.ResolvedAt, i.OrderId });
        item.Property(i => i.Kind).HasConversion<string>().HasMaxLength(64);
        item.Property(i => i.Text).HasMaxLength(OrderAttentionItem.MaxTextLength);
        item.Property(i => i.ResolvedBy).HasMaxLength(100);
        item.Property(i => i.ResolutionNote).HasMaxLength(OrderHistoryEntry.MaxNoteLength);
        // Two operators resolving one item at once: the second finds it resolved (409) instead of overwriting the note.
        item.Property(i => i.ResolvedAt).IsConcurrencyToken();
        item.Ignore(i => i.IsOpen);
    }
}
