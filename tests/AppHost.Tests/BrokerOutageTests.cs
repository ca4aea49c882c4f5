using System.Diagnostics;
using System.Net;
using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>Readiness follows the broker: /health turns 503 within 30 s of losing it, and 200 again once it is back.</summary>
[Collection(SystemWithOwnBroker.Name)]
public sealed class BrokerOutageTests(SystemWithOwnBroker shared)
{
    private static readonly TimeSpan ContractLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Health_turns_unhealthy_within_30_seconds_when_the_broker_stops_and_recovers_when_it_returns()
    {
        var (broker, system) = (shared.Broker, shared.System);
        foreach (var service in SystemUnderTest.Services)
        {
            await system.WaitUntilHealthyAsync(service);
            Assert.Equal(HttpStatusCode.OK, await system.HealthAsync(service));
        }

        var stopped = Stopwatch.StartNew();
        await broker.StopAsync();
        foreach (var service in SystemUnderTest.Services)
        {
            await Eventually.TrueAsync(async () => await system.HealthAsync(service) == HttpStatusCode.ServiceUnavailable,
                ContractLimit - stopped.Elapsed, $"{service} reports the lost broker");
        }

        await broker.RestartAsync();
        foreach (var service in SystemUnderTest.Services)
        {
            await Eventually.TrueAsync(async () => await system.HealthAsync(service) == HttpStatusCode.OK,
                TimeSpan.FromSeconds(90), $"{service} reconnects to the broker");
        }
    }
}
