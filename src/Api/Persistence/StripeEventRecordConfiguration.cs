using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PuffinOffset.Api.Webhooks;

namespace PuffinOffset.Api.Persistence;

public sealed class StripeEventRecordConfiguration : IEntityTypeConfiguration<StripeEventRecord>
{
    public void Configure(EntityTypeBuilder<StripeEventRecord> record)
    {
        record.ToTable("stripe_events");
        // The primary key is the unique constraint that makes a concurrent duplicate fail to commit.
        record.HasKey(e => e.EventId);
        record.Property(e => e.EventId).HasMaxLength(255);
        record.Property(e => e.Type).HasMaxLength(100);
        record.Property(e => e.ApiVersion).HasMaxLength(64);
        record.Property(e => e.Outcome).HasMaxLength(32);
        record.Property(e => e.PaymentIntentId).HasMaxLength(255);
        // A Checkout event looks for refunds and disputes of its payment that arrived before it.
        record.HasIndex(e => e.PaymentIntentId);
        // The retention pass deletes the oldest first.
        record.HasIndex(e => e.ReceivedAt);
    }
}
