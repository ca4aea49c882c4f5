using System.Collections.Concurrent;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>One attempt to deliver an event: the endpoint's status code, or the connection error.</summary>
public sealed record WebhookAttempt(string EventId, string EventType, int Copy, int Attempt, int? StatusCode, string? Error, DateTimeOffset At)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}

/// <summary>Every event the sandbox raised and every delivery attempt, for the sandbox pages and tests.</summary>
public sealed class EventLog
{
    private readonly ConcurrentQueue<StripeEvent> _events = new();
    private readonly ConcurrentQueue<WebhookAttempt> _attempts = new();
    private readonly ConcurrentDictionary<string, byte> _delivered = new(StringComparer.Ordinal);

    public IReadOnlyList<StripeEvent> Events => _events.ToArray();

    /// <summary>The events raised after the first <paramref name="count"/>, without copying the log (a reader polling a long run).</summary>
    public IEnumerable<StripeEvent> EventsAfter(int count) => _events.Skip(count);

    public IReadOnlyList<WebhookAttempt> Attempts => _attempts.ToArray();

    public void Add(StripeEvent stripeEvent) => _events.Enqueue(stripeEvent);

    public void Add(WebhookAttempt attempt)
    {
        _attempts.Enqueue(attempt);
        if (attempt.Succeeded)
        {
            _delivered.TryAdd(attempt.EventId, 0);
        }
    }

    /// <summary>
    /// Stripe's <c>delivery_success</c>: false while an event meant for the endpoint has had no successful delivery
    /// (every attempt so far failed, it waits for a retry, or delivery is switched off); true for the rest.
    /// </summary>
    public bool DeliverySucceeded(StripeEvent stripeEvent) => !stripeEvent.ForEndpoint || _delivered.ContainsKey(stripeEvent.Id);

    public IReadOnlyList<StripeEvent> EventsFor(string sessionId) => Events.Where(e => e.SessionId == sessionId).ToArray();
}
