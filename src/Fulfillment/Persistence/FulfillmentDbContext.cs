using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Fulfillments;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Fulfillment.Persistence;

/// <summary>
/// Fulfillment's own database: one fulfilment record per order, and the outbox/inbox. This type owns the
/// SQLite migrations; <see cref="PostgresFulfillmentDbContext"/> is the same model with PostgreSQL's.
/// </summary>
public class FulfillmentDbContext : MessagingDbContext
{
    public FulfillmentDbContext(DbContextOptions<FulfillmentDbContext> options) : base(options)
    {
    }

    protected FulfillmentDbContext(DbContextOptions options) : base(options)
    {
    }

    public DbSet<OffsetFulfillment> Fulfillments => Set<OffsetFulfillment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FulfillmentDbContext).Assembly);
    }
}
