using System.Collections.Concurrent;
using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PuffinOffset.Fulfillment;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.TestSupport;
using PuffinOffset.WrenSandbox;

// Fulfillment in process against the Wren sandbox and a private RabbitMQ node.
// Phase 1 (latency): paced PaymentCompleted messages, latency from publish to the Wren POST.
// Phase 2 (throughput): a burst of messages, fulfilled orders per second until the last OffsetOrderPlaced.
// Usage: dotnet run -c Release --project bench/FulfillmentBench -- [pacedCount] [pacedIntervalMs] [burstCount]
// Lookup: dotnet run -c Release --project bench/FulfillmentBench -- lookup [orders] [runs] (the note lookup over a long history)
if (args is ["lookup", ..])
{
    return await PuffinOffset.FulfillmentBench.LookupBench.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100_000,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5);
}

var pacedCount = args.Length > 0 ? int.Parse(args[0]) : 200;
var pacedInterval = TimeSpan.FromMilliseconds(args.Length > 1 ? int.Parse(args[1]) : 50);
var burstCount = args.Length > 2 ? int.Parse(args[2]) : 1000;
const string token = "4f1c2a9e-0000-4000-8000-00000000be7c";

await using var broker = await RabbitMqBroker.StartAsync("bench");
var brokerUri = await broker.CreateVirtualHostAsync();
await using var wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(token));
using var folder = new TempFolder();

var builder = Host.CreateApplicationBuilder();
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["ConnectionStrings:messaging"] = brokerUri,
    ["FULFILLMENT_DATABASE_PATH"] = folder.File("fulfillment.db"),
    ["WREN_API_TOKEN"] = token,
    ["WREN_API_BASE"] = wren.BaseAddress.ToString(),
    ["WREN_DRY_RUN"] = "false",
});
builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
builder.AddServiceDefaults();
builder.AddFulfillmentServices();
builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
using var fulfillment = builder.Build();
await fulfillment.StartAsync();

var placed = new ConcurrentDictionary<Guid, DateTimeOffset>();
var api = Bus.Factory.CreateUsingRabbitMq(rabbit =>
{
    rabbit.Host(new Uri(brokerUri));
    rabbit.ReceiveEndpoint("bench-api", endpoint => endpoint.Handler<OffsetOrderPlaced>(context =>
    {
        placed[context.Message.OrderId] = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }));
});
await api.StartAsync();

var published = new ConcurrentDictionary<Guid, DateTimeOffset>();
async Task PublishAsync(Guid orderId)
{
    published[orderId] = DateTimeOffset.UtcNow;
    await api.Publish(new PaymentCompleted(orderId, $"cs_bench_{orderId:N}", null, 1.5m, 21, 60_257, "usd", null, DateTimeOffset.UtcNow));
}

async Task WaitForAsync(IReadOnlyCollection<Guid> orders)
{
    var deadline = DateTime.UtcNow.AddMinutes(5);
    while (orders.Any(o => !placed.ContainsKey(o)))
    {
        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"{orders.Count(o => !placed.ContainsKey(o))} orders not placed.");
        }

        await Task.Delay(20);
    }
}

// Warm-up: JIT, connections, SQLite pages.
var warmUp = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
foreach (var orderId in warmUp)
{
    await PublishAsync(orderId);
}

await WaitForAsync(warmUp);

var paced = Enumerable.Range(0, pacedCount).Select(_ => Guid.NewGuid()).ToList();
foreach (var orderId in paced)
{
    await PublishAsync(orderId);
    await Task.Delay(pacedInterval);
}

await WaitForAsync(paced);
var postedAt = wren.State.ReceivedPosts.Where(p => p.Note is not null)
    .GroupBy(p => Guid.Parse(p.Note!["puffin-offset order ".Length..]))
    .ToDictionary(g => g.Key, g => g.Min(p => p.At));
var latencies = paced.Select(o => (postedAt[o] - published[o]).TotalMilliseconds).Order().ToArray();

var burst = Enumerable.Range(0, burstCount).Select(_ => Guid.NewGuid()).ToList();
var clock = Stopwatch.StartNew();
await Task.WhenAll(burst.Select(PublishAsync));
await WaitForAsync(burst);
clock.Stop();

var duplicates = wren.State.Orders.GroupBy(o => o.Note).Count(g => g.Count() > 1);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
Console.WriteLine($"paced: {pacedCount} messages, one every {pacedInterval.TotalMilliseconds} ms; publish -> Wren POST latency p50 {Percentile(latencies, 0.50):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms");
Console.WriteLine($"burst: {burstCount} messages fulfilled in {clock.Elapsed.TotalSeconds:F2} s = {burstCount / clock.Elapsed.TotalSeconds:F1} orders/s (publish -> OffsetOrderPlaced received)");
Console.WriteLine($"Wren orders: {wren.State.Orders.Count} for {warmUp.Count + pacedCount + burstCount} payments; notes with more than one order: {duplicates}");

await api.StopAsync();
await fulfillment.StopAsync();
return duplicates == 0 && wren.State.Orders.Count == warmUp.Count + pacedCount + burstCount ? 0 : 1;

static double Percentile(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
