using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PuffinOffset.Api.Persistence;

/// <summary>
/// The Api's model on PostgreSQL. A type of its own only so that its migrations (Persistence/PostgresMigrations)
/// are kept apart from the SQLite chain, which existing databases depend on and which stays as it is.
/// </summary>
public sealed class PostgresApiDbContext(DbContextOptions<PostgresApiDbContext> options) : ApiDbContext(options);

/// <summary>Lets <c>dotnet ef migrations add … --context PostgresApiDbContext</c> build the model offline.</summary>
public sealed class DesignTimePostgresApiDbContextFactory : IDesignTimeDbContextFactory<PostgresApiDbContext>
{
    public PostgresApiDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresApiDbContext>().UseNpgsql("Host=design-time;Database=orders").Options);
}
