using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PuffinOffset.Fulfillment.Persistence;

/// <summary>
/// Fulfillment's model on PostgreSQL. A type of its own only so that its migrations
/// (Persistence/PostgresMigrations) are kept apart from the SQLite chain, which stays as it is.
/// </summary>
public sealed class PostgresFulfillmentDbContext(DbContextOptions<PostgresFulfillmentDbContext> options) : FulfillmentDbContext(options);

/// <summary>Lets <c>dotnet ef migrations add … --context PostgresFulfillmentDbContext</c> build the model offline.</summary>
public sealed class DesignTimePostgresFulfillmentDbContextFactory : IDesignTimeDbContextFactory<PostgresFulfillmentDbContext>
{
    public PostgresFulfillmentDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresFulfillmentDbContext>().UseNpgsql("Host=design-time;Database=fulfillment").Options);
}
