using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>An order that needed attention before attention items existed still needs it after the upgrade.</summary>
public sealed class AttentionMigrationTests : IDisposable
{
    private const string Sentence = "payment disputed (dp_1, reason fraudulent): answer it in Stripe's dashboard; partially refunded (100 of 2500 cents): the offset is for the whole order";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task An_existing_attention_sentence_becomes_one_open_legacy_item_and_the_column_is_gone()
    {
        await using var db = await ContextAsync();
        var migrations = db.Database.GetMigrations().ToList();
        var attentionItems = migrations.FindIndex(m => m.EndsWith("_AttentionItems", StringComparison.Ordinal));
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync(migrations[attentionItems - 1]);
        var flagged = Guid.NewGuid();
        var quiet = Guid.NewGuid();
        var updatedAt = new DateTime(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);
        await InsertOrderAsync(db, flagged, Sentence, updatedAt);
        await InsertOrderAsync(db, quiet, null, updatedAt);

        await migrator.MigrateAsync();

        db.ChangeTracker.Clear();
        var orders = await db.Orders.AsNoTracking().ToListAsync();
        var item = Assert.Single(orders.Single(o => o.Id == flagged).Attention);
        Assert.Equal((AttentionKind.Legacy, Sentence, new DateTimeOffset(updatedAt), true), (item.Kind, item.Text, item.RaisedAt, item.IsOpen));
        Assert.Empty(orders.Single(o => o.Id == quiet).Attention);
        Assert.Equal([flagged], await db.Orders.Where(OrderFilters.NeedsAttention).Select(o => o.Id).ToListAsync());
        Assert.False(orders.Single(o => o.Id == flagged).PaidInLiveMode);
    }

    private async Task<ApiDbContext> ContextAsync() => TestDatabase.IsPostgres
        ? new PostgresApiDbContext(await TestDatabase.OptionsAsync<PostgresApiDbContext>(_folder.File("orders.db")))
        : new ApiDbContext(await TestDatabase.OptionsAsync<ApiDbContext>(_folder.File("orders.db")));

    /// <summary>An order row as the schema before attention items had it (SQLite keeps ids and times as text).</summary>
    private static Task<int> InsertOrderAsync(ApiDbContext db, Guid id, string? attention, DateTime updatedAt) => TestDatabase.IsPostgres
        ? db.Database.ExecuteSqlAsync($"""
            INSERT INTO orders ("Id", "Status", "Tons", "PortfolioId", "AmountTotal", "AmountRefunded", "Disputed", "Attention", "CreatedAt", "UpdatedAt", "PaymentCompletedResends")
            VALUES ({id}, 'Paid', {1.5m}, 21, 2500, 100, TRUE, {attention}, {updatedAt}, {updatedAt}, 0)
            """)
        : db.Database.ExecuteSqlAsync($"""
            INSERT INTO orders ("Id", "Status", "Tons", "PortfolioId", "AmountTotal", "AmountRefunded", "Disputed", "Attention", "CreatedAt", "UpdatedAt", "PaymentCompletedResends")
            VALUES ({id.ToString().ToUpperInvariant()}, 'Paid', '1.5', 21, 2500, 100, 1, {attention}, {updatedAt.ToString("yyyy-MM-dd HH:mm:ss")}, {updatedAt.ToString("yyyy-MM-dd HH:mm:ss")}, 0)
            """);
}
