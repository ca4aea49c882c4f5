using System.Diagnostics.Metrics;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>
/// What an operator alerts on: a growing backlog (<c>puffin.outbox.pending</c>) or a stuck one
/// (<c>puffin.outbox.oldest_pending_age</c>), plus publish throughput, failures and commit-to-publish delay.
/// </summary>
public sealed class OutboxMetrics
{
    public const string MeterName = "PuffinOffset.Outbox";

    private readonly Counter<long> _published;
    private readonly Counter<long> _failures;
    private readonly Counter<long> _withdrawn;
    private readonly Histogram<double> _delay;
    private long _pending;
    private double _oldestPendingAgeSeconds;
    private long _parked;

    /// <summary>Milliseconds normally, seconds to minutes while the broker is away (the SDK's default buckets suit milliseconds).</summary>
    private static readonly double[] DelayBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    public OutboxMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _published = meter.CreateCounter<long>("puffin.outbox.published", "{message}", "Messages published from the outbox.");
        _failures = meter.CreateCounter<long>("puffin.outbox.publish_failures", "{attempt}", "Publish attempts that failed and will be retried.");
        _withdrawn = meter.CreateCounter<long>("puffin.outbox.withdrawn", "{message}", "Unpublished messages taken back by the transaction that made them wrong (a payment refunded in full before it was published).");
        _delay = meter.CreateHistogram<double>("puffin.outbox.dispatch_delay", "s", "Time from the business commit to the broker's publish confirm.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DelayBuckets });
        meter.CreateObservableGauge("puffin.outbox.pending", () => Interlocked.Read(ref _pending), "{message}", "Messages committed but not yet published.");
        meter.CreateObservableGauge("puffin.outbox.parked", () => Interlocked.Read(ref _parked), "{message}", "Rows the dispatcher gave up on, waiting for an operator to re-queue them.");
        meter.CreateObservableGauge("puffin.outbox.oldest_pending_age", () => Volatile.Read(ref _oldestPendingAgeSeconds), "s", "Age of the oldest unpublished message.");
    }

    public void Published(string messageType, TimeSpan delay)
    {
        var tag = new KeyValuePair<string, object?>("message.type", messageType);
        _published.Add(1, tag);
        _delay.Record(delay.TotalSeconds, tag);
    }

    /// <summary>Counted by the caller once its transaction committed.</summary>
    public void Withdrawn(string messageType, int count) =>
        _withdrawn.Add(count, new KeyValuePair<string, object?>("message.type", messageType));

    public void PublishFailed(string messageType) =>
        _failures.Add(1, new KeyValuePair<string, object?>("message.type", messageType));

    public void Parked(long parked) => Interlocked.Exchange(ref _parked, parked);

    public void Backlog(long pending, TimeSpan oldestAge)
    {
        Interlocked.Exchange(ref _pending, pending);
        Volatile.Write(ref _oldestPendingAgeSeconds, oldestAge.TotalSeconds);
    }
}
