using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.TestSupport;

// The whole pipeline in one process (PuffinSystem: Api, Fulfillment, a private RabbitMQ node, SQLite
// files, Stripe and Wren sandboxes over HTTP).
// Phase 1 (latency): paced paid webhooks; latency from the webhook's 200 to Wren receiving the POST.
// Phase 2 (throughput): a burst of paid webhooks; fulfilled orders per second until the last is fulfilled.
// Usage: [PUFFIN_TEST_DATABASE=postgres] dotnet run -c Release --project bench/PipelineBench -- [pacedCount] [pacedIntervalMs] [burstCount] [burstConcurrency]
// PUFFIN_TEST_DATABASE picks the engine as in the tests: sqlite (default) or postgres (a throwaway server).
var pacedCount = args.Length > 0 ? int.Parse(args[0]) : 100;
var pacedInterval = TimeSpan.FromMilliseconds(args.Length > 1 ? int.Parse(args[1]) : 100);
var burstCount = args.Length > 2 ? int.Parse(args[2]) : 300;
var burstConcurrency = args.Length > 3 ? int.Parse(args[3]) : 8;

await using var system = await PuffinSystem.StartAsync();
Console.WriteLine($"database: {TestDatabase.Provider}");
Console.WriteLine($"pipeline bench: {pacedCount} paced webhooks every {pacedInterval.TotalMilliseconds} ms, then a burst of {burstCount} ({burstConcurrency} at a time)");

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

async Task<int> FulfilledAsync(IReadOnlyCollection<Guid> orderIds)
{
    await using var scope = system.Api.Services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
    return await db.Orders.CountAsync(o => orderIds.Contains(o.Id) && o.Status == OrderStatus.Fulfilled);
}

async Task WaitFulfilledAsync(IReadOnlyCollection<Guid> orderIds) =>
    await Eventually.TrueAsync(async () => await FulfilledAsync(orderIds) == orderIds.Count, TimeSpan.FromMinutes(10), "every order is fulfilled");

// Warm-up: JIT, connections, queues.
var warmUp = await CreateSessionsAsync(10);
foreach (var session in warmUp)
{
    await PayAsync(session);
}

await WaitFulfilledAsync([.. warmUp.Select(s => s.OrderId)]);

// Phase 1: latency, webhook 200 → Wren POST received.
var paced = await CreateSessionsAsync(pacedCount);
var answeredAt = new Dictionary<Guid, DateTimeOffset>();
foreach (var session in paced)
{
    answeredAt[session.OrderId] = await PayAsync(session);
    await Task.Delay(pacedInterval);
}

await WaitFulfilledAsync([.. paced.Select(s => s.OrderId)]);
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
await WaitFulfilledAsync([.. burst.Select(s => s.OrderId)]);
var allFulfilled = clock.Elapsed;

var wrenOrders = system.Wren.State.Orders.Count;
var expected = warmUp.Count + pacedCount + burstCount;
double Percentile(double p) => latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Length) - 1, 0, latencies.Length - 1)];
Console.WriteLine($"webhook 200 -> Wren POST: p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms, max {latencies[^1]:F1} ms ({latencies.Length} orders)");
Console.WriteLine($"burst: {burstCount} webhooks answered in {webhooksDone.TotalSeconds:F1} s; all fulfilled after {allFulfilled.TotalSeconds:F1} s = {burstCount / allFulfilled.TotalSeconds:F1} fulfilled orders/s");
Console.WriteLine($"Wren orders: {wrenOrders} for {expected} paid orders");
return wrenOrders == expected ? 0 : 1;
