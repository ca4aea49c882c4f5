using MassTransit;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Messaging;

/// <summary>
/// Readiness of the MassTransit bus, in place of MassTransit's own check. Kestrel listens a moment before
/// the bus has connected, and the orchestrator probes <c>/health</c> at once: MassTransit's check answered
/// "Not ready: not started", which the health check service logs as an Error on every healthy start. A bus
/// that has never been ready yet is starting, not failing: the check waits up to <see cref="BusStartupOptions.StartupWait"/>
/// for it (it connects in about a second), and reports it unhealthy only if it still is not ready then
/// (the broker is unreachable at start, which is worth an error). Once ready, it reports at once.
/// </summary>
public sealed class BusReadinessCheck(IBusControl bus, IOptions<BusStartupOptions> startup, TimeProvider time) : IHealthCheck
{
    public const string Name = "messaging-bus";
    public static readonly TimeSpan Timeout = BusStartupOptions.DefaultStartupWait + TimeSpan.FromSeconds(5);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private volatile bool _wasReady;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = bus.CheckHealth();
        if (!_wasReady && health.Status != BusHealthStatus.Healthy)
        {
            var deadline = time.GetUtcNow() + startup.Value.StartupWait;
            while (health.Status != BusHealthStatus.Healthy && time.GetUtcNow() < deadline)
            {
                await Task.Delay(PollInterval, time, cancellationToken);
                health = bus.CheckHealth();
            }
        }

        switch (health.Status)
        {
            case BusHealthStatus.Healthy:
                _wasReady = true;
                return HealthCheckResult.Healthy(health.Description);
            case BusHealthStatus.Degraded:
                return HealthCheckResult.Degraded(health.Description, health.Exception);
            default:
                return new HealthCheckResult(context.Registration.FailureStatus, health.Description, health.Exception);
        }
    }
}
