using Microsoft.EntityFrameworkCore;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api.Persistence;

/// <summary>The Api's SQLite database: orders, recorded Stripe events, and the outbox/inbox.</summary>
public sealed class ApiDbContext(DbContextOptions<ApiDbContext> options) : MessagingDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ApiDbContext).Assembly);
    }
}
