using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PuffinOffset.Platform;

/// <summary>
/// When each job that reads gauges from the database last succeeded: gauge
/// <c>puffin.gauges.last_success_timestamp</c> (Unix seconds, tag <c>refresher</c>). Those gauges keep their
/// last value while the database is away, so an alert on a count (failed fulfilments, attention, paid without
/// an outcome, the outbox) would go quiet during an outage; alerting on this timestamp's age does not.
/// A refresher counts from the process start until its first success, so one that never succeeds ages too.
/// </summary>
public sealed class GaugeRefreshes
{
    public const string MeterName = "PuffinOffset.Gauges";

    private readonly ConcurrentDictionary<string, double> _lastSuccess = new();
    private readonly TimeProvider _time;
    private readonly double _started;

    public GaugeRefreshes(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        _started = Now();
        meterFactory.Create(MeterName).CreateObservableGauge("puffin.gauges.last_success_timestamp", Observe, "s",
            "When each database-reading gauge refresher last succeeded (Unix time); the process start until its first success.");
    }

    /// <summary>Exports <paramref name="refresher"/> from now on, aged from the process start until it succeeds.</summary>
    public void Watch(string refresher) => _lastSuccess.TryAdd(refresher, _started);

    public void Succeeded(string refresher) => _lastSuccess[refresher] = Now();

    private double Now() => _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    private IEnumerable<Measurement<double>> Observe() =>
        [.. _lastSuccess.Select(entry => new Measurement<double>(entry.Value, new KeyValuePair<string, object?>("refresher", entry.Key)))];
}
