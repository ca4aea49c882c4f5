using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using PuffinOffset.Fulfillment.Purchases;

namespace PuffinOffset.Fulfillment.Persistence;

public sealed class OffsetFulfillmentConfiguration : IEntityTypeConfiguration<OffsetFulfillment>
{
    public const string LateOrderChecksByAge = "IX_offset_fulfillments_LateOrderCheck";
    public const string HeldLeases = "IX_offset_fulfillments_HeldLeases";

    public void Configure(EntityTypeBuilder<OffsetFulfillment> fulfillment)
    {
        fulfillment.ToTable("offset_fulfillments");
        // One fulfilment per order, whatever number of messages announce the payment.
        fulfillment.HasKey(f => f.OrderId);
        fulfillment.Property(f => f.State).HasConversion<string>().HasMaxLength(20);
        fulfillment.Property(f => f.Tons).HasPrecision(18, 3);
        fulfillment.Property(f => f.LastError).HasMaxLength(1000);
        fulfillment.Property(f => f.WrenOrderId).HasMaxLength(200);
        fulfillment.Property(f => f.TraceParent).HasMaxLength(55);
        fulfillment.Property(f => f.TraceState).HasMaxLength(512);
        fulfillment.Property(f => f.Version).IsConcurrencyToken();
        fulfillment.Property(f => f.LeaseOwner).HasMaxLength(200);
        fulfillment.Ignore(f => f.Note);
        // The worker's query: due fulfilments in order of due time.
        fulfillment.HasIndex(f => new { f.State, f.NextAttemptAt });
        // The late-order check's query: the few fulfilments still waiting for it, by state, not every placed one of the
        // history (see LateWrenOrderCheck.Due for why each of its branches repeats the filter).
        fulfillment.HasIndex(f => new { f.State, f.UpdatedAt }, LateOrderChecksByAge).HasFilter("\"LateOrderCheckPending\"");
        // A graceful stop's hand-back of its leases (FulfillmentLease.OwnedBy): only the few rows in flight hold a lease,
        // so it reads those, not the history (a scan of 1,000,000 rows took 160 ms of its 5-second budget).
        fulfillment.HasIndex(f => f.LeaseOwner, HeldLeases).HasFilter("\"LeaseOwner\" IS NOT NULL");
    }
}
