using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Fulfillments;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Fulfillment.Persistence;

/// <summary>Fulfillment's own SQLite database: one fulfilment record per order, and the outbox/inbox.</summary>
public sealed class FulfillmentDbContext(DbContextOptions<FulfillmentDbContext> options) : MessagingDbContext(options)
{
    public DbSet<OffsetFulfillment> Fulfillments => Set<OffsetFulfillment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FulfillmentDbContext).Assembly);
    }
}
