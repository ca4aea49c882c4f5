using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Chaos;

/// <summary>
/// The workload, all through the real HTTP surfaces: customers start checkouts at the Api replicas (retrying with
/// the same Idempotency-Key through Stripe outages and dead replicas), pay on Stripe's hosted page by card or with a
/// delayed method, their banks confirm or fail the payment, and the merchant refunds (in full, half, or in two
/// halves) or the bank disputes at a random moment before, during or after fulfilment. An operator replays failed
/// fulfilments now and then. Each order's steps are kept for the ledger.
/// </summary>
public sealed class Customers(SoakCluster cluster, SoakLog log, int seed) : IDisposable
{
    private static readonly (Plan Plan, int Weight)[] Weights =
    [
        (Plan.PayByCard, 34),
        (Plan.PayThenRefundInFull, 14),
        (Plan.PayThenRefundHalf, 6),
        (Plan.PayThenRefundInTwoHalves, 5),
        (Plan.PayThenDispute, 7),
        (Plan.DelayedPaymentSucceeds, 12),
        (Plan.DelayedPaymentFails, 7),
        (Plan.DelayedPaymentSucceedsThenRefund, 5),
        (Plan.Expire, 6),
        (Plan.Abandon, 4),
    ];

    /// <summary>
    /// Orders under way at once, at most: at 28 orders/s a story lasts up to a minute or two (pauses, late refunds, a
    /// checkout retried through an outage), so this leaves room for several times that; when it is reached the driver
    /// waits, and its lag behind the requested rate shows in <see cref="Pace"/> rather than in memory.
    /// </summary>
    private const int MaxLiveOrders = 8000;

    private readonly HttpClient _http = new(Handler()) { Timeout = TimeSpan.FromSeconds(15) };
    private readonly Random _random = new(seed);
    private readonly ConcurrentDictionary<Guid, OrderStory> _stories = new();
    private readonly ConcurrentBag<string> _problems = [];
    private readonly SemaphoreSlim _liveOrders = new(MaxLiveOrders);
    private readonly ConcurrentQueue<Exception> _crashes = new();
    private int _checkoutsGivenUp;
    private int _started;
    private TimeSpan _driving;
    private TimeSpan _worstLag;

    public IReadOnlyCollection<OrderStory> Stories => [.. _stories.Values];

    /// <summary>What went wrong on the customer's side (an idempotent retry answered with another order, a 4xx).</summary>
    public IReadOnlyCollection<string> Problems => [.. _problems];

    public int CheckoutsGivenUp => Volatile.Read(ref _checkoutsGivenUp);

    /// <summary>How fast the driver started orders against the rate it was asked for, and how far it fell behind its schedule.</summary>
    public string Pace(double perSecond) =>
        $"{_started} orders started in {_driving.TotalSeconds:0} s: {_started / Math.Max(_driving.TotalSeconds, 1):0.0}/s of {perSecond:0.#}/s requested, at worst {_worstLag.TotalSeconds:0.0} s behind schedule";

    /// <summary>
    /// Starts orders at <paramref name="perSecond"/> until <paramref name="stop"/>, then waits for every story to end.
    /// Each story holds a slot of <see cref="MaxLiveOrders"/> and gives it back when it ends, so no list of tasks grows
    /// with the run; the first story that crashed (a soak defect, not a fault) is thrown once all have ended.
    /// </summary>
    public async Task RunAsync(double perSecond, CancellationToken stop)
    {
        var interval = TimeSpan.FromSeconds(1 / perSecond);
        var began = log.Now;
        var next = began;
        try
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                await _liveOrders.WaitAsync(stop);
                var lag = log.Now - next;
                _worstLag = lag > _worstLag ? lag : _worstLag;
                _ = LiveInSlotAsync(n, Draw(), new Random(_random.Next()));
                _started++;
                next += interval;
                if (next > log.Now)
                {
                    await Task.Delay(next - log.Now, stop);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The workload's time is up.
        }

        _driving = log.Now - began;
        for (var slot = 0; slot < MaxLiveOrders; slot++)
        {
            await _liveOrders.WaitAsync(CancellationToken.None);
        }

        if (_crashes.TryDequeue(out var crash))
        {
            throw new InvalidOperationException("An order's story crashed (a defect of the soak, not a fault it injected).", crash);
        }
    }

    private async Task LiveInSlotAsync(int n, Plan plan, Random random)
    {
        try
        {
            await LiveAsync(n, plan, random);
        }
        catch (Exception ex)
        {
            _crashes.Enqueue(ex);
        }
        finally
        {
            _liveOrders.Release();
        }
    }

    /// <summary>
    /// One connection pool per target (each Api replica, Stripe), with a bound: a paused replica holds the requests
    /// sent to it until they time out, and without a bound every new order would open another connection to it.
    /// </summary>
    public static SocketsHttpHandler Handler() => new()
    {
        AllowAutoRedirect = false,
        MaxConnectionsPerServer = 256,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Every 10 to 20 s an operator replays whatever failed, through a random Api replica, until <paramref name="stop"/>.</summary>
    public async Task OperatorAsync(CancellationToken stop)
    {
        var random = new Random(_random.Next());
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(random.Next(10, 20)), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var slot = random.Next(cluster.Slots(Role.Api));
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.ApiAddress(slot), "/api/admin/orders/replay"))
                {
                    Content = JsonContent.Create(new { status = "fulfillment_failed", note = "chaos soak operator", requestedBy = "chaos" }),
                };
                request.Headers.Authorization = new("Bearer", SoakCluster.AdminKey);
                using var response = await _http.SendAsync(request, stop);
                var body = await response.Content.ReadAsStringAsync(stop);
                var what = $"operator replays fulfillment_failed orders through api-{slot}: {(int)response.StatusCode} {body}";
                if (body.Contains("\"requested\":0", StringComparison.Ordinal))
                {
                    log.Note(what);
                }
                else
                {
                    log.Record("operator replay", what);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                log.Note($"operator replay through api-{slot}: no answer");
            }
        }
    }

    private Plan Draw()
    {
        var roll = _random.Next(Weights.Sum(w => w.Weight));
        foreach (var (plan, weight) in Weights)
        {
            if ((roll -= weight) < 0)
            {
                return plan;
            }
        }

        return Plan.PayByCard;
    }

    private async Task LiveAsync(int n, Plan plan, Random random)
    {
        var tons = 1m + random.Next(0, 16) * 0.25m;
        if (await CheckoutAsync(n, tons, random) is not { } session)
        {
            return;
        }

        var story = _stories[session.OrderId] = new OrderStory(session.OrderId, session.SessionId, plan);
        story.Step(log.Now, $"checkout created ({tons} t, {session.AmountTotal} cents)");
        await Pause(random, 0, 3);
        switch (plan)
        {
            case Plan.Abandon:
                story.Step(log.Now, "customer leaves without paying");
                return;
            case Plan.Expire:
                await ActAsync(story, $"/v1/checkout/sessions/{session.SessionId}/expire", null, "session expired");
                return;
            case Plan.DelayedPaymentSucceeds or Plan.DelayedPaymentFails or Plan.DelayedPaymentSucceedsThenRefund:
                await ActAsync(story, $"/c/pay/{session.SessionId}", new() { ["outcome"] = "delayed", ["email"] = Email(n) }, "paid with a delayed method");
                await Pause(random, 1, 12);
                var succeeds = plan != Plan.DelayedPaymentFails;
                await ActAsync(story, $"/c/pending/{session.SessionId}", new() { ["outcome"] = succeeds ? "succeed" : "fail" },
                    succeeds ? "bank confirmed the payment" : "bank failed the payment");
                if (plan == Plan.DelayedPaymentSucceedsThenRefund)
                {
                    await Pause(random, 0, 15);
                    await RefundAsync(story, "refund");
                }

                return;
        }

        await ActAsync(story, $"/c/pay/{session.SessionId}", new() { ["outcome"] = "card", ["email"] = Email(n) }, "paid by card");
        // Before, during or after fulfilment: the webhook itself may take up to 30 s to arrive.
        await Pause(random, 0, 20);
        switch (plan)
        {
            case Plan.PayThenRefundInFull:
                await RefundAsync(story, "refund");
                break;
            case Plan.PayThenRefundHalf:
                await RefundAsync(story, "refund-partial");
                break;
            case Plan.PayThenRefundInTwoHalves:
                await RefundAsync(story, "refund-partial");
                await Pause(random, 0, 10);
                await RefundAsync(story, "refund");
                break;
            case Plan.PayThenDispute:
                await ActAsync(story, $"/c/payments/{session.SessionId}", new() { ["action"] = "dispute" }, "bank opened a dispute");
                await Pause(random, 2, 15);
                var won = random.Next(2) == 0;
                await ActAsync(story, $"/c/payments/{session.SessionId}", new() { ["action"] = won ? "dispute-won" : "dispute-lost" },
                    $"dispute closed ({(won ? "won" : "lost")})");
                break;
        }
    }

    private async Task RefundAsync(OrderStory story, string action)
    {
        if (await ActAsync(story, $"/c/payments/{story.SessionId}", new() { ["action"] = action }, action == "refund" ? "refunded the rest in full" : "refunded half"))
        {
            if (action == "refund")
            {
                story.RefundedInFullAt = log.Now;
            }
        }
    }

    /// <summary>
    /// Creates the order through a random Api replica, with an Idempotency-Key so that a retry after no answer or a
    /// 503 (Stripe down) returns the same order; a quarter of the customers send the same request to the other
    /// replica at once, which must answer with the same order too.
    /// </summary>
    private async Task<CheckoutSession?> CheckoutAsync(int n, decimal tons, Random random)
    {
        var key = $"chaos-{n}-{Guid.NewGuid():N}";
        var body = new { tons, portfolioId = 21, customerEmail = Email(n) };
        var slot = random.Next(cluster.Slots(Role.Api));
        var doubleClick = random.NextDouble() < 0.25 && cluster.Slots(Role.Api) > 1;
        var deadline = log.Now + TimeSpan.FromSeconds(90);
        while (log.Now < deadline)
        {
            var attempts = doubleClick ? new[] { slot, (slot + 1) % cluster.Slots(Role.Api) } : [slot];
            var answers = await Task.WhenAll(attempts.Select(s => CreateSessionAsync(s, key, body)));
            var sessions = answers.OfType<CheckoutSession>().ToList();
            if (sessions.Count > 0)
            {
                if (sessions.Select(s => s.OrderId).Distinct().Count() > 1)
                {
                    _problems.Add($"one Idempotency-Key {key}, two orders: {string.Join(", ", sessions.Select(s => s.OrderId))}");
                }

                return sessions[0];
            }

            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500, 1500)));
            slot = (slot + 1) % cluster.Slots(Role.Api);
        }

        Interlocked.Increment(ref _checkoutsGivenUp);
        log.Note($"customer {n} gave up on checkout after 90 s");
        return null;
    }

    private async Task<CheckoutSession?> CreateSessionAsync(int slot, string key, object body)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.ApiAddress(slot), "/api/checkout/create-session"))
            {
                Content = JsonContent.Create(body),
            };
            request.Headers.Add("Idempotency-Key", key);
            using var response = await _http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return await response.Content.ReadFromJsonAsync<CheckoutSession>();
            }

            if ((int)response.StatusCode is >= 400 and < 500 and not 409 and not 429)
            {
                _problems.Add($"create-session via api-{slot} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            return null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// A click on Stripe's hosted pages (or its expire call); true when Stripe did it (a redirect or 200). A click left
    /// unanswered (the machine starved, the connection cut) counts as not done: it may still have happened, and the
    /// ledger judges by what Stripe's sandbox recorded, not by what the customer saw.
    /// </summary>
    private async Task<bool> ActAsync(OrderStory story, string path, Dictionary<string, string>? form, string what)
    {
        try
        {
            using var response = await _http.PostAsync(new Uri(cluster.Stripe.BaseAddress, path), new FormUrlEncodedContent(form ?? []));
            var done = response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther;
            story.Step(log.Now, done ? what : $"{what}: refused by Stripe ({(int)response.StatusCode})");
            return done;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            story.Step(log.Now, $"{what}: no answer from Stripe ({ex.GetType().Name}); the ledger reads what Stripe recorded");
            return false;
        }
    }

    private static Task Pause(Random random, int minSeconds, int maxSeconds) =>
        Task.Delay(TimeSpan.FromMilliseconds(random.Next(minSeconds * 1000, maxSeconds * 1000 + 1)));

    private static string Email(int n) => $"captain{n}@example.com";

    public void Dispose()
    {
        _http.Dispose();
        _liveOrders.Dispose();
    }
}
