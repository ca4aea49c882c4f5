using Microsoft.EntityFrameworkCore;

namespace PuffinOffset.Platform.Tests;

/// <summary>A service database with one table of its own, and nothing of Messaging's.</summary>
public sealed class RowsDbContext(DbContextOptions<RowsDbContext> options) : DbContext(options)
{
    public DbSet<Row> Rows => Set<Row>();
}

public sealed class Row
{
    public int Id { get; set; }
}
