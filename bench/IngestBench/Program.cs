using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.IngestBench;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

// Usage: dotnet run -c Release --project bench/IngestBench -- [rounds=3] [seconds=8] [concurrency=16] [pool=40000] [trace=FILE] [broker=amqp://...] [provider=sqlite|postgres] [Section__Key=value ...]
// Section__Key=value and DOTNET_*=value arguments are set in the Api's environment (settings to compare, e.g. Outbox__MarkInterval=00:00:00).
// provider is the Api's engine: sqlite (default, its file with synchronous=FULL) or postgres (a throwaway server from
// scripts/postgres-local.sh, as the tests start it). The floor always commits to SQLite: it is the disk's yardstick.
// The floor (bench/WebhookFloor: signature check + one SQLite row, synchronous=FULL) and the system (the real
// Api as its own process, a PaymentCompleted consumer on the same broker standing in for Fulfillment)
// measured in the same run, rounds alternating, each round `seconds` long with `concurrency` senders posting
// distinct pre-signed paid events for real orders. Prints every round, the medians and system/floor.
var options = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
int Option(string name, int fallback) => int.Parse(options.GetValueOrDefault(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
var rounds = Option("rounds", 3);
var seconds = Option("seconds", 8);
var concurrency = Option("concurrency", 16);
var pool = Option("pool", 40_000);
const int warmup = 500;
const string secret = "whsec_BENCHONLY0123456789abcdefghijABCDEFGHIJ";

var repository = RepositoryRoot();
var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // bin/<Release>/net10.0
var configuration = output.Parent!.Name;
var targetFramework = output.Name;
string Built(string project, string assembly) => Path.Combine(repository, project, "bin", configuration, targetFramework, assembly);

using var folder = new TempFolder();
var brokerUri = options.TryGetValue("broker", out var uri) ? uri : await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} at start (shared machine: other work may be running)");

// The Api's orders: one per event the system rounds may send.
var apiDatabase = folder.File("orders.db");
var orders = Enumerable.Range(0, warmup + rounds * pool).Select(i => (OrderId: Guid.CreateVersion7(), SessionId: $"cs_test_a1BENCH{i:D8}")).ToArray();
var postgres = options.GetValueOrDefault("provider", "sqlite") switch
{
    "sqlite" => false,
    "postgres" => true,
    var other => throw new ArgumentException($"provider must be sqlite or postgres, not '{other}'."),
};
var apiConnectionString = postgres ? await (await PostgresServer.Shared).CreateDatabaseAsync("ingest") : null;
Console.WriteLine($"Api database: {(postgres ? "postgres (throwaway server, scripts/postgres-local.sh)" : "sqlite")}");
await using (ApiDbContext db = postgres
    ? new PostgresApiDbContext(new DbContextOptionsBuilder<PostgresApiDbContext>().UseNpgsql(apiConnectionString).Options)
    : new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite($"Data Source={apiDatabase}").Options))
{
    await db.Database.MigrateAsync();
    var now = DateTimeOffset.UtcNow;
    foreach (var chunk in orders.Chunk(5_000))
    {
        foreach (var (orderId, sessionId) in chunk)
        {
            var order = Order.Create(orderId, 2.5m, 21, 100428, "buyer@example.com", null, null, now);
            order.AttachCheckoutSession(sessionId, null, now);
            db.Orders.Add(order);
        }

        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
    }
}

// Fulfillment's stand-in: a queue bound to PaymentCompleted, so the outbox publishes as in production.
var received = new ConcurrentDictionary<Guid, byte>();
var consumer = Bus.Factory.CreateUsingRabbitMq(rabbit =>
{
    rabbit.Host(new Uri(brokerUri));
    rabbit.ReceiveEndpoint("bench-payment-completed", endpoint => endpoint.Handler<PaymentCompleted>(context =>
    {
        received[context.Message.OrderId] = 0;
        return Task.CompletedTask;
    }));
});
await consumer.StartAsync();

var apiDatabaseVariables = postgres
    ? new Dictionary<string, string> { ["DATABASE_PROVIDER"] = "postgres", ["ConnectionStrings__orders"] = apiConnectionString! }
    : new Dictionary<string, string> { ["DATABASE_PATH"] = apiDatabase };
await using var api = await ServiceProcess.StartAsync(Built("src/Api", "Api.dll"), new Dictionary<string, string>(apiDatabaseVariables)
{
    ["STRIPE_SECRET_KEY"] = "sk_test_BENCHONLY",
    ["STRIPE_WEBHOOK_SECRET"] = secret,
    ["STRIPE_API_BASE"] = "http://127.0.0.1:9",
    ["WREN_API_BASE"] = "http://127.0.0.1:9",
    ["FRONTEND_URL"] = "https://shop.example.test",
    ["ConnectionStrings__messaging"] = brokerUri,
}.Concat(options.Where(o => o.Key.Contains("__", StringComparison.Ordinal) || o.Key.StartsWith("DOTNET_", StringComparison.Ordinal))).ToDictionary(), "api", logPath: folder.File("api.log"));
await using var floor = await ServiceProcess.StartAsync(Built("bench/WebhookFloor", "WebhookFloor.dll"), new Dictionary<string, string>
{
    ["STRIPE_WEBHOOK_SECRET"] = secret,
    ["FLOOR_DATABASE_PATH"] = folder.File("floor.db"),
}, "floor", readinessPath: null, logPath: folder.File("floor.log"));
Console.WriteLine($"api pid {api.Id} at {api.BaseAddress}, floor pid {floor.Id} at {floor.BaseAddress}, broker {new Uri(brokerUri).Port}");

var load = new LoadGenerator(concurrency, secret);
var next = 0;
string[] Bodies(int count) => Enumerable.Range(next, count).Select(i =>
    StripeEventFixture.For(StripeEventFixture.CompletedPaid, orders[i].SessionId, orders[i].OrderId, $"evt_BENCH{i:D8}")).ToArray();

var warmupBodies = Bodies(warmup);
next += warmup;
await load.RunAsync(new Uri(floor.BaseAddress, "/webhook"), warmupBodies, TimeSpan.FromMinutes(2));
await load.RunAsync(new Uri(api.BaseAddress, "/api/webhooks/stripe"), warmupBodies, TimeSpan.FromMinutes(2));

var results = new List<(string Target, RoundResult Result)>();
for (var round = 1; round <= rounds; round++)
{
    var bodies = Bodies(pool);
    next += pool;
    foreach (var (name, server, path) in new[] { ("floor", floor, "/webhook"), ("system", api, "/api/webhooks/stripe") })
    {
        using var trace = round == 1 && name == "system" && options.TryGetValue("trace", out var tracePath)
            ? await Tracer.StartAsync(repository, server.Id, tracePath, TimeSpan.FromSeconds(seconds))
            : null;
        var cpuBefore = server.CpuTime;
        var result = await load.RunAsync(new Uri(server.BaseAddress, path), bodies, TimeSpan.FromSeconds(seconds));
        result = result with { CpuMsPerEvent = (server.CpuTime - cpuBefore).TotalMilliseconds / Math.Max(1, result.Succeeded), RssMiB = server.RssMiB };
        results.Add((name, result));
        Console.WriteLine($"round {round} {name,-6}: {result} (load average {LoadAverage()})");
        if (trace is not null)
        {
            await trace.WaitAsync();
        }
    }
}

RoundResult Median(string target)
{
    var runs = results.Where(r => r.Target == target).Select(r => r.Result).ToList();
    double M(Func<RoundResult, double> f) => runs.Select(f).Order().ElementAt(runs.Count / 2);
    return new RoundResult(0, 0, M(r => r.EventsPerSecond), M(r => r.P50), M(r => r.P99), M(r => r.CpuMsPerEvent), M(r => r.RssMiB));
}

var floorMedian = Median("floor");
var systemMedian = Median("system");
Console.WriteLine();
Console.WriteLine($"median of {rounds} rounds, {seconds} s each, {concurrency} senders, load average {LoadAverage()} at end (shared machine):");
Console.WriteLine($"  floor : {floorMedian.Summary()}");
Console.WriteLine($"  system: {systemMedian.Summary()}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  system / floor: {systemMedian.EventsPerSecond / floorMedian.EventsPerSecond:0.00}× throughput, {systemMedian.CpuMsPerEvent / floorMedian.CpuMsPerEvent:0.0}× CPU per event"));

// Every paid event the Api answered 200 must reach the broker exactly once.
var sent = warmup + results.Where(r => r.Target == "system").Sum(r => r.Result.Succeeded);
var deadline = DateTime.UtcNow.AddMinutes(2);
while (received.Count < sent && DateTime.UtcNow < deadline)
{
    await Task.Delay(100);
}

Console.WriteLine($"PaymentCompleted received by the consumer: {received.Count} of {sent} paid events answered 200");
await consumer.StopAsync();
return received.Count == sent ? 0 : 1;

static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "PuffinOffset.sln")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Run the bench from a build inside the repository (PuffinOffset.sln not found above it).");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
