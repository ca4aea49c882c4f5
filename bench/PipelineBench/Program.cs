using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.HistorySeed;
using PuffinOffset.TestSupport;

// The whole pipeline in one process (PuffinSystem: Api, Fulfillment, a private RabbitMQ node, SQLite
// files, Stripe and Wren sandboxes over HTTP).
// Phase 1 (latency): paced paid webhooks; latency from the webhook's 200 to Wren receiving the POST.
// Phase 2 (throughput): a burst of paid webhooks; fulfilled orders per second until the last is fulfilled.
// Usage: dotnet run -c Release --project bench/PipelineBench -- [pacedCount] [pacedIntervalMs] [burstCount] [burstConcurrency] [provider=sqlite|postgres] [wrenDelayMs=0] [history=0]
// history=N fills both services' databases with N past orders, fulfilments and the rest of bench/HistorySeed's shape
// before they start (issue 21, "cost flat with history"); compare with a run without it.
// provider picks the engine as in the tests (PUFFIN_TEST_DATABASE, which it sets): sqlite (default) or postgres (a
// throwaway server from scripts/postgres-local.sh). wrenDelayMs makes the Wren sandbox answer every POST that late.
// Paced webhooks are sent on a fixed schedule (one every pacedIntervalMs, whether or not the previous one was answered).
var named = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
var positional = args.Where(a => !a.Contains('=', StringComparison.Ordinal)).ToArray();
if (named.TryGetValue("provider", out var provider))
{
    Environment.SetEnvironmentVariable(TestDatabase.Variable, provider);
}

var wrenDelay = TimeSpan.FromMilliseconds(int.Parse(named.GetValueOrDefault("wrenDelayMs", "0"), System.Globalization.CultureInfo.InvariantCulture));
var pacedCount = positional.Length > 0 ? int.Parse(positional[0]) : 100;
var pacedInterval = TimeSpan.FromMilliseconds(positional.Length > 1 ? int.Parse(positional[1]) : 100);
var burstCount = positional.Length > 2 ? int.Parse(positional[2]) : 300;
var burstConcurrency = positional.Length > 3 ? int.Parse(positional[3]) : 8;
static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
static double RssMiB() => Environment.WorkingSet / (1024.0 * 1024.0);

var history = long.Parse(named.GetValueOrDefault("history", "0"), System.Globalization.CultureInfo.InvariantCulture);
await using var system = await PuffinSystem.StartAsync(seed: history > 0 ? SeedHistoryAsync : null);
// The orders this run creates; the history's are older, and not all of them fulfilled.
var runStart = DateTimeOffset.UtcNow;

async Task SeedHistoryAsync(SystemDatabases databases)
{
    Console.WriteLine($"seeding {history:N0} past orders into both services' databases (bench/HistorySeed)");
    var shape = new HistoryShape(history, DateTimeOffset.UtcNow);
    await HistorySeeder.SeedApiAsync(shape, history, databases.Postgres, databases.Api, Console.Out);
    await HistorySeeder.SeedFulfillmentAsync(shape, databases.Postgres, databases.Fulfillment, Console.Out);
}

Console.WriteLine($"database: {TestDatabase.Provider}");
Console.WriteLine($"pipeline bench: {pacedCount} paced webhooks every {pacedInterval.TotalMilliseconds} ms, then a burst of {burstCount} ({burstConcurrency} at a time); Wren answers after {wrenDelay.TotalMilliseconds} ms");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} at start (shared machine: other work may be running)");
if (wrenDelay > TimeSpan.Zero)
{
    system.Wren.State.DelayNextPosts(10 + pacedCount + burstCount + 100, wrenDelay);
}

async Task<List<CheckoutSession>> CreateSessionsAsync(int count)
{
    var sessions = new List<CheckoutSession>(count);
    for (var i = 0; i < count; i++)
    {
        sessions.Add(await system.CreateSessionAsync(1m + i % 7));
    }

    return sessions;
}

async Task<DateTimeOffset> PayAsync(CheckoutSession session)
{
    using var response = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session, $"evt_BENCH_{session.OrderId:N}");
    response.EnsureSuccessStatusCode();
    return DateTimeOffset.UtcNow;
}

// Every order this run created so far is paid before each wait, so "all fulfilled" is "none is not": one cheap query
// per poll through the CreatedAt index (a count over the ids of thousands of orders every 50 ms took a sixth of the
// process's CPU in a profile).
async Task<bool> AllFulfilledAsync()
{
    await using var scope = system.Api.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
    return !await db.Orders.AnyAsync(o => o.CreatedAt >= runStart && o.Status != OrderStatus.Fulfilled);
}

async Task WaitFulfilledAsync() =>
    await Eventually.TrueAsync(AllFulfilledAsync, TimeSpan.FromMinutes(10), "every order is fulfilled");

// Warm-up: JIT, connections, queues.
var warmUp = await CreateSessionsAsync(10);
foreach (var session in warmUp)
{
    await PayAsync(session);
}

await WaitFulfilledAsync();

// Phase 1: latency, webhook 200 → Wren POST received.
var paced = await CreateSessionsAsync(pacedCount);
var answeredAt = new System.Collections.Concurrent.ConcurrentDictionary<Guid, DateTimeOffset>();
var schedule = Stopwatch.StartNew();
var sends = new List<Task>(pacedCount);
for (var i = 0; i < paced.Count; i++)
{
    var due = pacedInterval * i;
    if (due > schedule.Elapsed)
    {
        await Task.Delay(due - schedule.Elapsed);
    }

    var session = paced[i];
    sends.Add(Task.Run(async () => answeredAt[session.OrderId] = await PayAsync(session)));
}

await Task.WhenAll(sends);
var pacedRate = pacedCount / schedule.Elapsed.TotalSeconds;
var pacedLoad = LoadAverage();
await WaitFulfilledAsync();
var pacedRss = RssMiB();
var latencies = paced
    .Select(s => system.Wren.State.ReceivedPosts.Single(p => p.Note == $"puffin-offset order {s.OrderId}").At - answeredAt[s.OrderId])
    .Select(t => t.TotalMilliseconds)
    .Order()
    .ToArray();

// Phase 2: throughput, a burst until every order is fulfilled.
var burst = await CreateSessionsAsync(burstCount);
var clock = Stopwatch.StartNew();
await Parallel.ForEachAsync(burst, new ParallelOptions { MaxDegreeOfParallelism = burstConcurrency }, async (session, _) => await PayAsync(session));
var webhooksDone = clock.Elapsed;
await WaitFulfilledAsync();
var allFulfilled = clock.Elapsed;
var burstRss = RssMiB();

var wrenOrders = system.Wren.State.Orders.Count;
var expected = warmUp.Count + pacedCount + burstCount;
double Percentile(double p) => latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Length) - 1, 0, latencies.Length - 1)];
Console.WriteLine($"webhook 200 -> Wren POST: p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms, max {latencies[^1]:F1} ms ({latencies.Length} orders sent at {pacedRate:F1}/s; load average {pacedLoad})");
Console.WriteLine($"burst: {burstCount} webhooks answered in {webhooksDone.TotalSeconds:F1} s; all fulfilled after {allFulfilled.TotalSeconds:F1} s = {burstCount / allFulfilled.TotalSeconds:F1} fulfilled orders/s (load average {LoadAverage()})");
Console.WriteLine($"RSS of the bench process (Api, Fulfillment and both sandboxes together): {pacedRss:F0} MiB after the paced phase, {burstRss:F0} MiB after the burst");
Console.WriteLine($"Wren orders: {wrenOrders} for {expected} paid orders");
return wrenOrders == expected ? 0 : 1;
