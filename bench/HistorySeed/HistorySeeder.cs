using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Fulfillment.Persistence;

namespace PuffinOffset.HistorySeed;

/// <summary>
/// Fills the Api's and Fulfillment's databases with a <see cref="HistoryShape"/>: the services' EF Core migrations
/// create the schema first (they own it), then every table is appended in bulk.
/// </summary>
public static class HistorySeeder
{
    public static ApiDbContext ApiContext(bool postgres, string connectionString) => postgres
        ? new PostgresApiDbContext(new DbContextOptionsBuilder<PostgresApiDbContext>().UseNpgsql(connectionString).Options)
        : new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite(connectionString).Options);

    public static FulfillmentDbContext FulfillmentContext(bool postgres, string connectionString) => postgres
        ? new PostgresFulfillmentDbContext(new DbContextOptionsBuilder<PostgresFulfillmentDbContext>().UseNpgsql(connectionString).Options)
        : new FulfillmentDbContext(new DbContextOptionsBuilder<FulfillmentDbContext>().UseSqlite(connectionString).Options);

    public static async Task SeedApiAsync(HistoryShape history, long stripeEvents, bool postgres, string connectionString, TextWriter log)
    {
        await using (var db = ApiContext(postgres, connectionString))
        {
            await db.Database.MigrateAsync();
        }

        foreach (var table in new[]
                 {
                     history.OrdersTable(), history.AttentionTable(), history.StripeEventsTable(stripeEvents),
                     history.OutboxTable("PaymentCompleted", 2), history.InboxTable("OffsetOrderPlacedConsumer", 3),
                 })
        {
            await WriteAsync(table, postgres, connectionString, log);
        }

        await AnalyzeAsync(postgres, connectionString, log);
    }

    public static async Task SeedFulfillmentAsync(HistoryShape history, bool postgres, string connectionString, TextWriter log)
    {
        await using (var db = FulfillmentContext(postgres, connectionString))
        {
            await db.Database.MigrateAsync();
        }

        foreach (var table in new[]
                 {
                     history.FulfillmentsTable(), history.OutboxTable("OffsetOrderPlaced", 4), history.InboxTable("PaymentCompletedConsumer", 5),
                 })
        {
            await WriteAsync(table, postgres, connectionString, log);
        }

        await AnalyzeAsync(postgres, connectionString, log);
    }

    private static async Task WriteAsync(SeedTable table, bool postgres, string connectionString, TextWriter log)
    {
        var elapsed = await BulkWriter.WriteAsync(table, postgres, connectionString);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {table.Name,-20} {table.Count,10:N0} rows in {elapsed.TotalSeconds,6:0.0} s = {table.Count / Math.Max(0.001, elapsed.TotalSeconds),9:N0} rows/s (load average {LoadAverage()})"));
    }

    // PostgreSQL's autovacuum would have analysed tables this size long ago; SQLite is left as the services leave it
    // (they never run ANALYZE, so its planner has no statistics in production either).
    private static async Task AnalyzeAsync(bool postgres, string connectionString, TextWriter log)
    {
        if (!postgres)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("VACUUM ANALYZE", connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
        log.WriteLine("  VACUUM ANALYZE done (as autovacuum would have)");
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
