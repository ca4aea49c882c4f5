using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Exports the readiness checks (database, broker, bus) as gauge <c>puffin.readiness.healthy</c> (tag
/// <c>check</c>: 1 healthy, 0 degraded or unhealthy), from the health check service's own background runs
/// (every <see cref="Period"/>), so an alert sees an unreachable dependency whether or not anything probes
/// <c>/health</c>.
/// </summary>
public sealed class ReadinessMetrics : IHealthCheckPublisher
{
    public const string MeterName = "PuffinOffset.Readiness";
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(15);

    private volatile HealthReport? _latest;

    public ReadinessMetrics(IMeterFactory meterFactory) =>
        meterFactory.Create(MeterName).CreateObservableGauge("puffin.readiness.healthy", Observe, "{check}",
            "Each readiness check's latest result: 1 healthy, 0 degraded or unhealthy.");

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _latest = report;
        return Task.CompletedTask;
    }

    private IEnumerable<Measurement<int>> Observe() => _latest is { } report
        ? [.. report.Entries.Select(entry => new Measurement<int>(entry.Value.Status == HealthStatus.Healthy ? 1 : 0,
            new KeyValuePair<string, object?>("check", entry.Key)))]
        : [];
}
