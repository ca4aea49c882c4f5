using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;
using Xunit.Abstractions;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>
/// Group commit under a real crash. The Api runs as its own process on a real database (the SQLite file with
/// synchronous=FULL, or PostgreSQL in the second pass) and a real broker; many paid webhooks are posted at once so
/// that the writer commits them in large batches, and the process is SIGKILLed while dozens are inside the writer
/// (queued, in the open transaction, or committed and not yet answered). Then it is started again on the same
/// database, and Stripe redelivers: every event not answered 200 until it is, and every answered one once more.
/// RabbitMQ is real, not the outbox dispatcher switched off: the kill also lands between the outbox's publishes
/// and its "dispatched" marks, and what proves "once" is what a consumer receives, next to the outbox rows
/// (which are kept after publishing, so both are checked).
/// </summary>
[Collection(RunsAlone.Name)]
public sealed partial class KilledMidBatchTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Orders = 400;
    private const int Senders = 64;
    /// <summary>The kill comes once this many webhooks were answered: the writer is busy, with batches behind it.</summary>
    private const int KillAfterAnswers = 150;
    /// <summary>Below this many requests cut off by the kill, the test did not test a crash mid-batch and fails.</summary>
    private const int AtLeastCutOff = 8;

    private static readonly string PaymentCompletedType = MessageTypes.NameOf(typeof(PaymentCompleted));

    private readonly TempFolder _folder = new();
    private StripeSandboxHost _stripe = null!;
    private WrenStub _wren = null!;
    private PaymentCompletedListener _fulfillment = null!;
    private ApiProcess _api = null!;

    private string DatabasePath => _folder.File("orders.db");

    private enum Delivery { NotSent, InFlight, Answered200, NoAnswer, ServerError }

    public async Task InitializeAsync()
    {
        _stripe = await StripeSandboxHost.StartAsync();
        _wren = await WrenStub.StartAsync();
        var brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        // Fulfillment's stand-in: bound before anything is published, so every PaymentCompleted reaches it.
        _fulfillment = await PaymentCompletedListener.StartAsync(brokerUri);
        var settings = await ApiHost.SettingsAsync(DatabasePath, brokerUri, _stripe.BaseAddress, _wren.BaseAddress);
        // Hundreds of webhooks a second logged line by line would cost the shared machine more than the work itself.
        settings["Logging:LogLevel:Default"] = "Warning";
        _api = await ApiProcess.StartAsync(settings, _folder.Path);
    }

    [Fact]
    public async Task An_Api_killed_mid_batch_loses_no_answered_event_and_Stripes_redelivery_pays_every_order_exactly_once()
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var orders = await CreateOrdersAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: {Orders} orders created through checkout");
            var bodies = orders.Select((o, i) => StripeEventFixture.For(StripeEventFixture.CompletedPaid, o.SessionId, o.OrderId, $"evt_KILLED{i:D5}")).ToArray();
            string EventId(int index) => StripeEventFixture.EventId(bodies[index]);
            using var stripe = new StripeWebhookSender(ApiHost.WebhookSecret, _ => _api.BaseAddress);

            var (phase1, inFlightAtKill) = await DeliverUntilKilledAsync(stripe, bodies);
            var answered = Indexes(phase1, Delivery.Answered200);
            var cutOff = Indexes(phase1, Delivery.NoAnswer).Where(inFlightAtKill.Contains).ToList();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: killed with {inFlightAtKill.Count} webhooks in flight, {cutOff.Count} of them never answered; " +
                $"{answered.Count} answered 200, {Indexes(phase1, Delivery.NoAnswer).Count} no answer, " +
                $"{Indexes(phase1, Delivery.ServerError).Count} answered 5xx, {Indexes(phase1, Delivery.NotSent).Count} not sent");
            Assert.True(cutOff.Count >= AtLeastCutOff,
                $"The kill must cut off webhooks inside the writer's batches: {inFlightAtKill.Count} were in flight and {cutOff.Count} of them got no answer (at least {AtLeastCutOff} needed).");

            await _api.RestartAsync();

            // Before any redelivery: what the killed process answered 200 is there, and each event is there together
            // with its order's change and its PaymentCompleted row or not at all (a batch commits whole or not at all).
            var recorded = await RecordedEventsAsync();
            var committedUnanswered = cutOff.Count(i => recorded.ContainsKey(EventId(i)));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: restarted; {recorded.Count} events recorded, {committedUnanswered} of them committed but cut off before their 200");
            var lost = answered.Select(EventId).Where(id => !recorded.ContainsKey(id)).ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} events answered 200 before the kill are not recorded: {string.Join(", ", lost)}");
            var paidBefore = orders.Where((_, i) => recorded.ContainsKey(EventId(i))).Select(o => o.OrderId).ToHashSet();
            await AssertPaidExactlyAsync(paidBefore);

            var redelivered = await RedeliverAsync(stripe, bodies, phase1);
            Assert.All(answered, i => Assert.Equal(HttpStatusCode.OK, redelivered[i]));
            // Every event recorded before the redelivery (answered or not) was answered as a duplicate, and only those.
            var outcomes = await Eventually.ValueAsync(WebhookOutcomesAsync, o => o.Values.Sum() >= Orders,
                because: "the restarted Api counted every redelivery");
            Assert.Equal(recorded.Count, outcomes.GetValueOrDefault(WebhookOutcome.Duplicate));
            Assert.Equal(Orders - recorded.Count, outcomes.GetValueOrDefault(WebhookOutcome.Applied));
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: every event redelivered");

            var after = await RecordedEventsAsync();
            Assert.Equal(bodies.Select(StripeEventFixture.EventId).Order(), after.Keys.Order());
            Assert.All(recorded, e => Assert.Equal(e.Value, after[e.Key])); // a duplicate rewrites nothing
            await AssertPaidExactlyAsync(orders.Select(o => o.OrderId).ToHashSet());
            await AssertEachOrderPublishedOnceAsync(orders);
            await AssertDatabaseIntactAsync();
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.0} s: done ({TestDatabase.Provider})");
        }
        catch
        {
            output.WriteLine($"The Api's last output:\n{_api.Outputs()}");
            throw;
        }
    }

    /// <summary>
    /// <see cref="Senders"/> senders post the paid events, each the next one as soon as its previous one was
    /// answered; the answer that makes <see cref="KillAfterAnswers"/> SIGKILLs the Api while they go on sending
    /// (stopping them first would let the writer drain its batches before the kill lands). Returns what became
    /// of each event and which were sent and not yet answered at the moment of the kill.
    /// </summary>
    private async Task<(Delivery[] Outcomes, HashSet<int> InFlightAtKill)> DeliverUntilKilledAsync(StripeWebhookSender stripe, string[] bodies)
    {
        var outcomes = new int[bodies.Length];
        var next = -1;
        var answers = 0;
        var killed = 0;
        var killNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HashSet<int>? inFlight = null;
        HashSet<int> InFlight() => Enumerable.Range(0, bodies.Length).Where(i => Volatile.Read(ref outcomes[i]) == (int)Delivery.InFlight).ToHashSet();
        var senders = Enumerable.Range(0, Senders).Select(_ => Task.Run(async () =>
        {
            int i;
            while (Volatile.Read(ref killed) == 0 && (i = Interlocked.Increment(ref next)) < bodies.Length)
            {
                Volatile.Write(ref outcomes[i], (int)Delivery.InFlight);
                var status = await stripe.SendOnceAsync(0, bodies[i]);
                Volatile.Write(ref outcomes[i], (int)(status switch
                {
                    HttpStatusCode.OK => Delivery.Answered200,
                    null => Delivery.NoAnswer,
                    _ => Delivery.ServerError,
                }));
                if (status is null)
                {
                    break; // the process is gone
                }

                if (status == HttpStatusCode.OK && Interlocked.Increment(ref answers) == KillAfterAnswers)
                {
                    // Killed right here, on the sender that saw the answer: handing the kill to another task let a
                    // loaded machine answer most of the in-flight webhooks before the signal was sent.
                    inFlight = InFlight();
                    _api.Current.KillNow();
                    killNow.TrySetResult();
                }
            }
        })).ToArray();

        await Task.WhenAny(killNow.Task, Task.WhenAll(senders)).WaitAsync(TimeSpan.FromMinutes(2));
        inFlight ??= InFlight();
        await _api.KillAsync();
        Volatile.Write(ref killed, 1);
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromMinutes(1));
        return (outcomes.Select(o => (Delivery)o).ToArray(), inFlight!);
    }

    /// <summary>
    /// As Stripe: an event not answered 200 is retried until it is; one answered 200 is delivered once more
    /// (Stripe may redeliver anything). Both kinds mixed, in a shuffled order, so batches hold both.
    /// </summary>
    private static async Task<HttpStatusCode?[]> RedeliverAsync(StripeWebhookSender stripe, string[] bodies, Delivery[] phase1)
    {
        var answers = new HttpStatusCode?[bodies.Length];
        var order = Enumerable.Range(0, bodies.Length).ToArray();
        new Random(11).Shuffle(order);
        await Parallel.ForEachAsync(order, new ParallelOptions { MaxDegreeOfParallelism = Senders }, async (i, _) =>
        {
            if (phase1[i] == Delivery.Answered200)
            {
                answers[i] = await stripe.SendOnceAsync(0, bodies[i]);
            }
            else
            {
                await stripe.DeliverAsync(0, bodies[i]);
                answers[i] = HttpStatusCode.OK;
            }
        });
        return answers;
    }

    /// <summary>Checkout sessions against the Stripe sandbox through the Api, as a storefront creates them.</summary>
    private async Task<CreatedOrder[]> CreateOrdersAsync()
    {
        using var http = new HttpClient { BaseAddress = _api.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var orders = new CreatedOrder[Orders];
        await Parallel.ForEachAsync(Enumerable.Range(0, Orders), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancellation) =>
        {
            using var response = await http.PostAsJsonAsync("/api/checkout/create-session",
                new { tons = 2.5m, portfolioId = 21, customerEmail = $"captain{i}@example.com" }, cancellation);
            response.EnsureSuccessStatusCode();
            orders[i] = (await response.Content.ReadFromJsonAsync<CreatedOrder>(cancellation))!;
        });
        return orders;
    }

    /// <summary>Exactly <paramref name="paid"/> are paid (the rest still pending), each with exactly one PaymentCompleted outbox row.</summary>
    private async Task AssertPaidExactlyAsync(IReadOnlySet<Guid> paid)
    {
        await using var db = await OrdersDbAsync();
        var statuses = await db.Orders.AsNoTracking().Select(o => new { o.Id, o.Status }).ToListAsync();
        Assert.Equal(Orders, statuses.Count);
        Assert.DoesNotContain(statuses, o => o.Status != (paid.Contains(o.Id) ? OrderStatus.Paid : OrderStatus.Pending));
        var rows = await PaymentCompletedRowsAsync(db);
        Assert.Empty(rows.GroupBy(r => r.OrderId).Where(g => g.Count() > 1).Select(g => g.Key));
        Assert.Equal(paid.Order(), rows.Select(r => r.OrderId).Order());
    }

    /// <summary>
    /// Every row is published (its "dispatched" mark set) and every order's PaymentCompleted reached the consumer;
    /// a row published before the kill and not yet marked is published again with the same message id (which an
    /// inbox drops), so an order may arrive twice but only ever under its one row's message id.
    /// </summary>
    private async Task AssertEachOrderPublishedOnceAsync(CreatedOrder[] orders)
    {
        await using var db = await OrdersDbAsync();
        await Eventually.TrueAsync(async () => !await db.OutboxMessages.AnyAsync(m => m.DispatchedAt == null), TimeSpan.FromMinutes(1),
            "the outbox published every row");
        var rows = (await PaymentCompletedRowsAsync(db)).ToDictionary(r => r.OrderId, r => r.MessageId);
        await Eventually.TrueAsync(() => _fulfillment.Received.Select(r => r.Message.OrderId).Distinct().Count() == Orders,
            TimeSpan.FromMinutes(1), "the consumer received a PaymentCompleted for every order");
        var received = _fulfillment.Received.ToList();
        output.WriteLine($"the consumer received {received.Count} PaymentCompleted messages for {Orders} orders");
        Assert.All(orders, o => Assert.Equal([rows[o.OrderId]], received.Where(r => r.Message.OrderId == o.OrderId).Select(r => r.MessageId!.Value).Distinct()));
    }

    private async Task AssertDatabaseIntactAsync()
    {
        if (TestDatabase.IsPostgres)
        {
            return; // PostgreSQL's WAL recovery is the server's; integrity_check is SQLite's file-level check.
        }

        await using var db = await OrdersDbAsync();
        var check = await db.Database.SqlQueryRaw<string>("PRAGMA integrity_check").ToListAsync();
        Assert.Equal(["ok"], check);
    }

    /// <summary>Event id → when it was recorded.</summary>
    private async Task<Dictionary<string, DateTimeOffset>> RecordedEventsAsync()
    {
        await using var db = await OrdersDbAsync();
        return await db.StripeEvents.AsNoTracking().ToDictionaryAsync(e => e.EventId, e => e.ReceivedAt);
    }

    private static async Task<List<(Guid OrderId, Guid MessageId)>> PaymentCompletedRowsAsync(ApiDbContext db) =>
        (await db.OutboxMessages.AsNoTracking().Where(m => m.MessageType == PaymentCompletedType).ToListAsync())
            .Select(m => (((PaymentCompleted)m.Deserialize()).OrderId, m.MessageId)).ToList();

    /// <summary>The restarted process's <c>puffin.stripe.webhook_events</c> counter, by outcome, from its Prometheus endpoint.</summary>
    private async Task<Dictionary<string, long>> WebhookOutcomesAsync()
    {
        using var http = new HttpClient { BaseAddress = _api.BaseAddress };
        var text = await http.GetStringAsync("/metrics");
        return WebhookEventsLine().Matches(text)
            .GroupBy(m => m.Groups["outcome"].Value)
            .ToDictionary(g => g.Key, g => g.Sum(m => (long)double.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture)));
    }

    [GeneratedRegex("""^puffin_stripe_webhook_events_total\{[^}]*outcome="(?<outcome>[a-z_]+)"[^}]*\} (?<count>\S+)""", RegexOptions.Multiline)]
    private static partial Regex WebhookEventsLine();

    private async Task<ApiDbContext> OrdersDbAsync() => new(await TestDatabase.OptionsAsync<ApiDbContext>(DatabasePath));

    private static List<int> Indexes(Delivery[] outcomes, Delivery which) =>
        Enumerable.Range(0, outcomes.Length).Where(i => outcomes[i] == which).ToList();

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _fulfillment.DisposeAsync();
        await _stripe.DisposeAsync();
        await _wren.DisposeAsync();
        _folder.Dispose();
    }
}
