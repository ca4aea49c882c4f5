namespace PuffinOffset.Fulfillment.Telemetry;

/// <summary>
/// Creates <see cref="FulfillmentTelemetry"/> as the service starts (after the metrics pipeline), so its
/// zero-started counters are exported from the first scrape rather than from the first fulfilment.
/// </summary>
internal sealed class FulfillmentTelemetryStart(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<FulfillmentTelemetry>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
