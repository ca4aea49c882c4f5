using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PuffinOffset.Pipeline.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>
/// A database outage is visible on /metrics without anyone probing /health: the readiness gauge of the
/// database check drops to 0, and the last-success time of the gauges read from the database stops, so the
/// alerts on both fire even though the gauges themselves keep their last value. Both come back with it.
/// </summary>
[Collection(RunsAlone.Name)] // reads gauge values from /metrics
public sealed class DatabaseOutageSignalsTests
{
    private const string DatabaseCheck = "check=\"database\"";
    private const string OutboxBacklog = "refresher=\"outbox_backlog\"";

    [Fact]
    public async Task A_database_outage_turns_readiness_to_zero_and_stops_the_gauges_last_success_until_it_ends()
    {
        var outage = new DatabaseOutage(TimeProvider.System);
        await using var system = await PuffinSystem.StartAsync(configureFulfillmentServices: services =>
        {
            services.AddSingleton<IInterceptor>(outage);
            // The health checks' background run every second instead of every 15 s, for a short test.
            services.Configure<HealthCheckPublisherOptions>(options => options.Period = TimeSpan.FromSeconds(1));
        });
        using var fulfillment = new HttpClient { BaseAddress = system.Fulfillment.BaseAddress };
        async Task<double?> Read(string series, string label) =>
            PrometheusText.Value(await fulfillment.GetStringAsync("/metrics"), series, label);

        await Eventually.TrueAsync(async () => await Read("puffin_readiness_healthy", DatabaseCheck) == 1
                && await Read("puffin_gauges_last_success_timestamp_seconds", OutboxBacklog) is { } at && at > Now() - 10,
            TimeSpan.FromSeconds(30), "healthy: the database check is 1 and the outbox backlog was read just now");

        outage.Begin(TimeSpan.FromMinutes(5));
        var outageBegan = Now();
        // Ten failed commands: the health checks' rounds (one a second) and the outbox dispatcher's polls and retries.
        await Eventually.TrueAsync(async () => await Read("puffin_readiness_healthy", DatabaseCheck) == 0 && outage.FailedCommands >= 10,
            TimeSpan.FromSeconds(30), "the database check reports the outage, and the dispatcher has met it");
        var lastSuccess = await Read("puffin_gauges_last_success_timestamp_seconds", OutboxBacklog);
        Assert.True(lastSuccess < outageBegan + 1, $"the backlog gauges were read at {lastSuccess} although the outage began at {outageBegan}");

        outage.Begin(TimeSpan.Zero);
        await Eventually.TrueAsync(async () => await Read("puffin_readiness_healthy", DatabaseCheck) == 1
                && await Read("puffin_gauges_last_success_timestamp_seconds", OutboxBacklog) > outageBegan + 1,
            TimeSpan.FromSeconds(30), "after the outage the database check is 1 again and the backlog is read again");
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
