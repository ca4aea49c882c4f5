using System.Diagnostics.Metrics;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>
/// What an operator alerts on: a growing backlog (<c>outbox.pending</c>) or a stuck one
/// (<c>outbox.oldest_pending_age</c>), plus publish throughput, failures and commit-to-publish delay.
/// </summary>
public sealed class OutboxMetrics
{
    public const string MeterName = "PuffinOffset.Outbox";

    private readonly Counter<long> _published;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _delay;
    private long _pending;
    private double _oldestPendingAgeSeconds;
    private long _parked;

    public OutboxMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>("outbox.published", "{message}", "Messages published from the outbox.");
        _failures = meter.CreateCounter<long>("outbox.publish_failures", "{attempt}", "Publish attempts that failed and will be retried.");
        _delay = meter.CreateHistogram<double>("outbox.dispatch_delay", "ms", "Time from the business commit to the broker's publish confirm.");
        meter.CreateObservableGauge("outbox.pending", () => Interlocked.Read(ref _pending), "{message}", "Messages committed but not yet published.");
        meter.CreateObservableGauge("outbox.parked", () => Interlocked.Read(ref _parked), "{message}", "Rows the dispatcher gave up on, waiting for an operator to re-queue them.");
        meter.CreateObservableGauge("outbox.oldest_pending_age", () => Volatile.Read(ref _oldestPendingAgeSeconds), "s", "Age of the oldest unpublished message.");
    }

    public void Published(string messageType, TimeSpan delay)
    {
        var tag = new KeyValuePair<string, object?>("message.type", messageType);
        _published.Add(1, tag);
        _delay.Record(delay.TotalMilliseconds, tag);
    }

    public void PublishFailed(string messageType) =>
        _failures.Add(1, new KeyValuePair<string, object?>("message.type", messageType));

    public void Parked(long parked) => Interlocked.Exchange(ref _parked, parked);

    public void Backlog(long pending, TimeSpan oldestAge)
    {
        Interlocked.Exchange(ref _pending, pending);
        Volatile.Write(ref _oldestPendingAgeSeconds, oldestAge.TotalSeconds);
    }
}
