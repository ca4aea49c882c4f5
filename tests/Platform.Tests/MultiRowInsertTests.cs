using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Platform.Tests;

/// <summary>
/// <see cref="MultiRowInsert"/> on the engine under test: rows written at once land as <c>SaveChanges</c> would have
/// written them (converted values, store-generated keys), and a duplicate key fails as the unique violation that the
/// group-commit writers recover from.
/// </summary>
public sealed class MultiRowInsertTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 12, 7, 17, 42, 17, 123, TimeSpan.FromHours(1));

    [Fact]
    public async Task Rows_inserted_at_once_are_stored_as_SaveChanges_stores_them()
    {
        using var folder = new TempFolder();
        await using var db = await CreateAsync(folder);
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            db.Entries.Add(new InsertedEntry { Name = "tracked", Amount = 1250, Flag = true, At = ReceivedAt });
            await db.SaveChangesAsync();
            await MultiRowInsert.WriteAsync(db, [
                new InsertedEntry { Name = "inserted", Amount = 1250, Flag = true, At = ReceivedAt },
                new InsertedEntry { Name = "without amount", Amount = null, Flag = false, At = ReceivedAt.AddDays(1) },
            ], CancellationToken.None);
            await transaction.CommitAsync();
        }

        db.ChangeTracker.Clear();
        var rows = await db.Entries.OrderBy(e => e.Id).ToListAsync();
        Assert.Equal(["tracked", "inserted", "without amount"], rows.Select(r => r.Name));
        Assert.Equal(3, rows.Select(r => r.Id).Distinct().Count());
        Assert.Equal(ReceivedAt, rows[1].At);
        Assert.Equal((1250L, true), (rows[1].Amount!.Value, rows[1].Flag));
        Assert.Equal((null, false), (rows[2].Amount, rows[2].Flag));
        // As stored, not only as read back: the converted column compares and sorts with what SaveChanges wrote.
        Assert.Equal(1, await db.Entries.CountAsync(e => e.At == ReceivedAt && e.Name == "inserted"));
        Assert.Equal(["tracked", "inserted"], await db.Entries.Where(e => e.At < ReceivedAt.AddHours(1)).OrderBy(e => e.Id).Select(e => e.Name).ToListAsync());
    }

    [Fact]
    public async Task A_duplicate_key_fails_the_insert_as_a_unique_violation_and_writes_nothing()
    {
        using var folder = new TempFolder();
        await using var db = await CreateAsync(folder);
        db.Entries.Add(new InsertedEntry { Name = "first", At = ReceivedAt });
        await db.SaveChangesAsync();

        await using var transaction = await db.Database.BeginTransactionAsync();
        var failure = await Assert.ThrowsAnyAsync<DbException>(() => MultiRowInsert.WriteAsync(db, [
            new InsertedEntry { Name = "new", At = ReceivedAt },
            new InsertedEntry { Name = "first", At = ReceivedAt },
        ], CancellationToken.None));
        await transaction.RollbackAsync();

        Assert.True(DatabaseErrors.IsUniqueViolation(failure), failure.Message);
        Assert.Equal(["first"], await db.Entries.Select(e => e.Name).ToListAsync());
    }

    private static async Task<InsertsDbContext> CreateAsync(TempFolder folder)
    {
        var db = new InsertsDbContext(await TestDatabase.OptionsAsync<InsertsDbContext>(folder.File("inserts.db")));
        await db.Database.EnsureCreatedAsync();
        return db;
    }
}

public sealed class InsertsDbContext(DbContextOptions<InsertsDbContext> options) : DbContext(options)
{
    public DbSet<InsertedEntry> Entries => Set<InsertedEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<InsertedEntry>(entry =>
        {
            entry.ToTable("inserted_entries");
            entry.HasIndex(e => e.Name).IsUnique();
        });

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcDateTimeOffsetConverter>();
}

public sealed class InsertedEntry
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public long? Amount { get; set; }
    public bool Flag { get; set; }
    public DateTimeOffset At { get; set; }
}
