using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api.Persistence;

/// <summary>
/// The Api's database: orders and their operator history, recorded Stripe events, and the outbox/inbox.
/// This type owns the SQLite migrations; <see cref="PostgresApiDbContext"/> is the same model with PostgreSQL's.
/// </summary>
public class ApiDbContext : MessagingDbContext
{
    public ApiDbContext(DbContextOptions<ApiDbContext> options) : base(options)
    {
    }

    protected ApiDbContext(DbContextOptions options) : base(options)
    {
    }

    public DbSet<Order> Orders => Set<Order>();
    public DbSet<StripeEventRecord> StripeEvents => Set<StripeEventRecord>();
    public DbSet<OrderHistoryEntry> OrderHistory => Set<OrderHistoryEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
    }
}
