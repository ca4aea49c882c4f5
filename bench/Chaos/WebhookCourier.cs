using System.Collections.Concurrent;
using System.Net;
using System.Text;
using PuffinOffset.StripeSandbox;
using PuffinOffset.StripeSandbox.Webhooks;

namespace PuffinOffset.Chaos;

/// <summary>What happened to one Stripe event on its way to the Api replicas.</summary>
public sealed class EventDelivery(StripeEvent stripeEvent, TimeSpan raisedAt, string plan)
{
    private readonly ConcurrentQueue<(TimeSpan At, int Slot)> _accepted = new();

    public StripeEvent Event { get; } = stripeEvent;
    public TimeSpan RaisedAt { get; } = raisedAt;

    /// <summary>How it is delivered: "never", "after 3.2 s", "twice".</summary>
    public string Plan { get; } = plan;

    public bool Dropped => Plan == WebhookCourier.Never;

    /// <summary>Each 2xx answer: when, and from which Api slot.</summary>
    public IReadOnlyList<(TimeSpan At, int Slot)> Accepted => [.. _accepted];

    public TimeSpan? FirstAcceptedAt => _accepted.IsEmpty ? null : _accepted.Min(a => a.At);

    public string? Rejection { get; set; }

    public void Accept(TimeSpan at, int slot) => _accepted.Enqueue((at, slot));

    public override string ToString()
    {
        var accepted = Accepted.Count == 0 ? "never accepted" : string.Join(" and ", Accepted.Select(a => $"api-{a.Slot} {SoakLog.Format(a.At)}"));
        return $"{Event.Type} {Event.Id} raised {SoakLog.Format(RaisedAt)}, {Plan}: {(Dropped ? "left for reconciliation" : accepted)}{(Rejection is null ? "" : $", REJECTED {Rejection}")}";
    }
}

/// <summary>
/// Stripe's webhook delivery as the soak wants it: every event the sandbox raises is taken from its event log and
/// posted to the Api replicas, mostly at once, some late (up to half a minute, so a refund can overtake its payment),
/// some twice to different replicas, some never (left for the Api's reconciliation). Each attempt is signed afresh
/// and retried with backoff on another replica until one answers 2xx, as Stripe retries; every attempt is also
/// written to the sandbox's log, so the sandbox knows what was delivered. A 4xx is recorded as a rejection.
/// </summary>
public sealed class WebhookCourier(SoakCluster cluster, SoakLog log, int seed) : IDisposable
{
    public const string Never = "never";

    private readonly HttpClient _http = new(Customers.Handler()) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly Random _random = new(seed);
    private readonly ConcurrentDictionary<string, EventDelivery> _deliveries = new();

    // By Checkout session, for the ledger: one lookup per order instead of a scan of every event (50,000 orders raise ~150,000).
    private readonly ConcurrentDictionary<string, ConcurrentQueue<EventDelivery>> _bySession = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _inFlight = new();

    public IReadOnlyCollection<EventDelivery> Deliveries => [.. _deliveries.Values];

    public int InFlight => _inFlight.Count;

    public IReadOnlyList<EventDelivery> For(string sessionId) =>
        _bySession.TryGetValue(sessionId, out var deliveries) ? [.. deliveries.OrderBy(d => d.RaisedAt)] : [];

    /// <summary>Picks up new events until <paramref name="stop"/>, then waits for every planned delivery to be accepted.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var seen = 0;
        while (true)
        {
            foreach (var stripeEvent in cluster.StripeEvents.EventsAfter(seen))
            {
                Plan(stripeEvent);
                seen++;
            }

            if (stop.IsCancellationRequested)
            {
                break;
            }

            await Task.Delay(100, CancellationToken.None);
        }

        await Task.WhenAll(_inFlight.Keys);
    }

    private void Plan(StripeEvent stripeEvent)
    {
        var roll = _random.NextDouble();
        var delay = roll switch
        {
            < 0.70 => TimeSpan.FromMilliseconds(_random.Next(0, 1000)),
            < 0.95 => TimeSpan.FromMilliseconds(_random.Next(1000, 10_000)),
            _ => TimeSpan.FromMilliseconds(_random.Next(10_000, 30_000)),
        };
        var never = _random.NextDouble() < 0.05;
        var twice = !never && _random.NextDouble() < 0.25;
        var plan = never ? Never : $"after {delay.TotalSeconds:0.0} s{(twice ? ", twice" : "")}";
        var delivery = _deliveries[stripeEvent.Id] = new EventDelivery(stripeEvent, log.Now, plan);
        _bySession.GetOrAdd(stripeEvent.SessionId, _ => new ConcurrentQueue<EventDelivery>()).Enqueue(delivery);
        if (never)
        {
            return;
        }

        var first = _random.Next(cluster.Slots(Role.Api));
        Track(DeliverAsync(delivery, delay, first, copy: 1));
        if (twice)
        {
            // The duplicate goes to another replica at nearly the same moment, as Stripe's retries can.
            Track(DeliverAsync(delivery, delay + TimeSpan.FromMilliseconds(_random.Next(0, 300)), (first + 1) % cluster.Slots(Role.Api), copy: 2));
        }
    }

    private void Track(Task delivery)
    {
        _inFlight[delivery] = 0;
        _ = delivery.ContinueWith(done => _inFlight.TryRemove(done, out _), TaskScheduler.Default);
    }

    private async Task DeliverAsync(EventDelivery delivery, TimeSpan delay, int slot, int copy)
    {
        await Task.Delay(delay);
        var backoff = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            var status = await SendAsync(delivery.Event, slot);
            cluster.StripeEvents.Add(new WebhookAttempt(delivery.Event.Id, delivery.Event.Type, copy, attempt, status,
                status is null ? "no answer" : null, DateTimeOffset.UtcNow));
            if (status is >= 200 and < 300)
            {
                delivery.Accept(log.Now, slot);
                return;
            }

            if (status is >= 400 and < 500)
            {
                delivery.Rejection = $"{status} from api-{slot} at {SoakLog.Format(log.Now)}";
                return;
            }

            // Stripe retries with backoff; the next attempt may land on the other replica (a load balancer's choice).
            await Task.Delay(backoff);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 4000));
            slot = (slot + 1) % cluster.Slots(Role.Api);
        }
    }

    private async Task<int?> SendAsync(StripeEvent stripeEvent, int slot)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.ApiAddress(slot), "/api/webhooks/stripe"))
            {
                Content = new StringContent(stripeEvent.Json, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigner.Header(stripeEvent.Json, DateTimeOffset.UtcNow, SoakCluster.WebhookSecret));
            using var response = await _http.SendAsync(request);
            return (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null; // killed, stopped, paused or restarting: Stripe tries again later
        }
    }

    public void Dispose() => _http.Dispose();
}
