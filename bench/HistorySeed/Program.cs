using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using PuffinOffset.HistorySeed;
using PuffinOffset.TestSupport;

// Usage: dotnet run -c Release --project bench/HistorySeed -- [orders=1000000] [events=ORDERS] [provider=sqlite|postgres]
//            [out=DIR] [explain] [keep]
// Builds the Api's and Fulfillment's databases holding `orders` past orders (and `events` stripe_events rows) on one
// engine: SQLite files DIR/orders.db and DIR/fulfillment.db (DIR defaults to a new folder under /tmp), or two
// databases on PostgreSQL (PUFFIN_TEST_POSTGRES's server, else a throwaway one from scripts/postgres-local.sh, as
// the tests start it). Prints rows/s per table and the elapsed time. `explain` then prints the plan of every hot-path
// query on the seeded databases (HotQueries.cs). Without `keep` the databases are deleted at the end (they are large).
var options = args.Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : "");
long Option(string name, long fallback) => options.TryGetValue(name, out var value) ? long.Parse(value, CultureInfo.InvariantCulture) : fallback;
var orders = Option("orders", 1_000_000);
var events = Option("events", orders);
var postgres = options.GetValueOrDefault("provider", "sqlite") switch
{
    "sqlite" => false,
    "postgres" => true,
    var other => throw new ArgumentException($"provider must be sqlite or postgres, not '{other}'."),
};

var folder = options.GetValueOrDefault("out") is { Length: > 0 } path ? Directory.CreateDirectory(path).FullName
    : postgres ? "" : Directory.CreateTempSubdirectory("puffin-history-").FullName;
var (apiDatabase, fulfillmentDatabase) = postgres
    ? (await (await PostgresServer.Shared).CreateDatabaseAsync("history_api"), await (await PostgresServer.Shared).CreateDatabaseAsync("history_fulfillment"))
    : ($"Data Source={Path.Combine(folder, "orders.db")}", $"Data Source={Path.Combine(folder, "fulfillment.db")}");

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {HistorySeeder.LoadAverage()} at start (shared machine: other work may be running)");
Console.WriteLine($"seeding {orders:N0} past orders and {events:N0} stripe_events rows on {(postgres ? "PostgreSQL" : $"SQLite in {folder}")}");
var history = new HistoryShape(orders, DateTimeOffset.UtcNow);
var clock = Stopwatch.StartNew();
Console.WriteLine("Api database:");
await HistorySeeder.SeedApiAsync(history, events, postgres, apiDatabase, Console.Out);
Console.WriteLine("Fulfillment database:");
await HistorySeeder.SeedFulfillmentAsync(history, postgres, fulfillmentDatabase, Console.Out);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeded in {clock.Elapsed.TotalSeconds:0.0} s (load average {HistorySeeder.LoadAverage()})"));

if (options.ContainsKey("explain"))
{
    await HotQueries.ExplainAsync(postgres, apiDatabase, fulfillmentDatabase, Console.Out);
}

if (options.ContainsKey("keep"))
{
    Console.WriteLine($"kept: {apiDatabase} and {fulfillmentDatabase}");
}
else if (!postgres)
{
    SqliteConnection.ClearAllPools();
    Directory.Delete(folder, recursive: true);
}

return 0;
