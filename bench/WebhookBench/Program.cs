using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

// Usage: dotnet run -c Release --project bench/WebhookBench -- [events=1000] [concurrency=8] [pause=0] [broker=amqp://...] [provider=sqlite|postgres]
// Fires N signed checkout.session.completed (paid) webhooks, one per order, at the in-process Api over
// loopback HTTP, and reports throughput, latency and the outbox's commit → broker delay.
var options = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
var events = int.Parse(options.GetValueOrDefault("events", "1000"), CultureInfo.InvariantCulture);
var concurrency = int.Parse(options.GetValueOrDefault("concurrency", "8"), CultureInfo.InvariantCulture);
// Optional pause after each webhook per sender: measures the outbox delay below saturation (no backlog).
var pause = TimeSpan.FromMilliseconds(int.Parse(options.GetValueOrDefault("pause", "0"), CultureInfo.InvariantCulture));
// The database engine, as in the tests (PUFFIN_TEST_DATABASE): postgres runs a throwaway server (scripts/postgres-local.sh).
if (options.TryGetValue("provider", out var provider))
{
    Environment.SetEnvironmentVariable(TestDatabase.Variable, provider);
}

const int warmup = 50;
const string secret = "whsec_BENCHONLY0123456789abcdefghijABCDEFGHIJ";

using var folder = new TempFolder();
var databasePath = folder.File("orders.db");
var brokerUri = options.TryGetValue("broker", out var uri) ? uri : await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
Console.WriteLine($"broker: {new Uri(brokerUri).Host}:{new Uri(brokerUri).Port}{new Uri(brokerUri).AbsolutePath}");

Console.WriteLine($"database: {TestDatabase.Provider}");
// The Api's migration step brings either engine's schema up to date when the host starts.
var database = await TestDatabase.SettingsAsync("DATABASE_PATH", databasePath, "orders");

// Fulfillment's stand-in: binds a queue to PaymentCompleted and notes when each message arrives.
var received = new ConcurrentDictionary<Guid, DateTimeOffset>();
var listener = Bus.Factory.CreateUsingRabbitMq(rabbit =>
{
    rabbit.Host(new Uri(brokerUri));
    rabbit.ReceiveEndpoint("bench-payment-completed", endpoint => endpoint.Handler<PaymentCompleted>(context =>
    {
        received[context.Message.OrderId] = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }));
});
await listener.StartAsync();

// The real Api in this process, built as its Program builds it, on Kestrel (real HTTP on loopback), with quiet logging.
await using var api = await ServiceHost.StartApiAsync(new Dictionary<string, string?>
{
    ["STRIPE_SECRET_KEY"] = "sk_test_BENCHONLY",
    ["STRIPE_WEBHOOK_SECRET"] = secret,
    ["STRIPE_API_BASE"] = "http://127.0.0.1:9",
    ["WREN_API_BASE"] = "http://127.0.0.1:9",
    ["FRONTEND_URL"] = "https://shop.example.test",
    ["ConnectionStrings:messaging"] = brokerUri,
}.With(database));
using var client = api.CreateClient();
Console.WriteLine($"api: {client.BaseAddress}");

var total = warmup + events;
var orders = Enumerable.Range(0, total).Select(i => (OrderId: Guid.CreateVersion7(), SessionId: $"cs_test_a1BENCH{i:D8}")).ToArray();
await using (var scope = api.Services.CreateAsyncScope())
{
    var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
    foreach (var (orderId, sessionId) in orders)
    {
        var order = Order.Create(orderId, 2.5m, 21, 100428, "buyer@example.com", null, null, DateTimeOffset.UtcNow);
        order.AttachCheckoutSession(sessionId, null, DateTimeOffset.UtcNow);
        db.Orders.Add(order);
    }

    await db.SaveChangesAsync();
}

string Body(int i) =>
    StripeEventFixture.For(StripeEventFixture.CompletedPaid, orders[i].SessionId, orders[i].OrderId, $"evt_BENCH{i:D8}");

async Task<double> SendAsync(int i)
{
    var body = Body(i);
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    request.Headers.Add("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, secret));
    var started = Stopwatch.GetTimestamp();
    using var response = await client.SendAsync(request);
    var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    return response.IsSuccessStatusCode ? elapsed : throw new InvalidOperationException($"webhook {i} answered {(int)response.StatusCode}");
}

for (var i = 0; i < warmup; i++)
{
    await SendAsync(i);
}

var latencies = new ConcurrentBag<double>();
var next = warmup - 1;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < total)
    {
        latencies.Add(await SendAsync(i));
        if (pause > TimeSpan.Zero)
        {
            await Task.Delay(pause);
        }
    }
}));
clock.Stop();

var deadline = DateTime.UtcNow.AddMinutes(2);
while (received.Count < total && DateTime.UtcNow < deadline)
{
    await Task.Delay(50);
}

List<(DateTimeOffset CreatedAt, DateTimeOffset? DispatchedAt, string Payload)> rows;
await using (var scope = api.Services.CreateAsyncScope())
{
    rows = (await scope.ServiceProvider.GetRequiredService<ApiDbContext>().OutboxMessages.AsNoTracking().ToListAsync())
        .Select(r => (r.CreatedAt, r.DispatchedAt, r.Payload)).ToList();
}

var measured = rows.Skip(warmup).ToList();
var toConfirm = measured.Where(r => r.DispatchedAt is not null).Select(r => (r.DispatchedAt!.Value - r.CreatedAt).TotalMilliseconds).ToList();
var toConsumer = measured
    .Select(r => JsonSerializer.Deserialize<PaymentCompleted>(r.Payload, new JsonSerializerOptions(JsonSerializerDefaults.Web))!)
    .Where(m => received.ContainsKey(m.OrderId))
    .Select(m => (received[m.OrderId] - m.PaidAt).TotalMilliseconds)
    .ToList();

static string Percentiles(IReadOnlyCollection<double> values)
{
    var sorted = values.Order().ToArray();
    double P(double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    return string.Create(CultureInfo.InvariantCulture, $"p50 {P(0.50):0.0} ms, p99 {P(0.99):0.0} ms, max {sorted.LastOrDefault():0.0} ms (n={sorted.Length})");
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"webhooks: {events} paid events, concurrency {concurrency}, pause {pause.TotalMilliseconds} ms, {clock.Elapsed.TotalSeconds:0.00} s → {events / clock.Elapsed.TotalSeconds:0.0} events/s"));
Console.WriteLine($"webhook latency (request → 200 after commit): {Percentiles(latencies)}");
Console.WriteLine($"outbox commit → broker confirm (DispatchedAt − CreatedAt): {Percentiles(toConfirm)}");
Console.WriteLine($"commit → received by a consumer on the broker: {Percentiles(toConsumer)}");
Console.WriteLine($"messages received: {received.Count} of {total}; outbox rows: {rows.Count}");

await listener.StopAsync();
return received.Count == total && rows.Count == total ? 0 : 1;
