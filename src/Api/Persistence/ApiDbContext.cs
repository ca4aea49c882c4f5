using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api.Persistence;

/// <summary>The Api's SQLite database: orders and their operator history, recorded Stripe events, and the outbox/inbox.</summary>
public sealed class ApiDbContext(DbContextOptions<ApiDbContext> options) : MessagingDbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();
    public DbSet<StripeEventRecord> StripeEvents => Set<StripeEventRecord>();
    public DbSet<OrderHistoryEntry> OrderHistory => Set<OrderHistoryEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
    }
}
