using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Restore;
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

    /// <summary>The restores of this database from a backup (<see cref="RestorePoint"/>), recorded by the <c>restored</c> command.</summary>
    public DbSet<RestorePoint> RestorePoints => Set<RestorePoint>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(FulfillmentDbContext).Assembly);
    }
}
