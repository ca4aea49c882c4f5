using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>
/// Readiness of the bus as the orchestrator sees it: probed the moment the host started, a bus that is
/// still connecting is waited for (no Unhealthy result, so no Error log), while a bus that cannot reach
/// its broker is still reported unhealthy.
/// </summary>
public sealed class BusReadinessTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_bus_probed_while_it_starts_is_reported_ready_once_connected()
    {
        using var host = await StartAsync(await (await RabbitMqBroker.Shared).CreateVirtualHostAsync());

        // Right after StartAsync, as Aspire's first probe: MassTransit's own check said "Not ready: not started".
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries[BusReadinessCheck.Name].Status);
        Assert.DoesNotContain(report.Entries.Keys, name => name.StartsWith("masstransit", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_bus_that_cannot_reach_its_broker_at_start_is_reported_unhealthy()
    {
        using var host = await StartAsync($"amqp://guest:guest@127.0.0.1:{RabbitMqBroker.FreeTcpPort()}/");

        var report = await host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(registration => registration.Name == BusReadinessCheck.Name);

        Assert.Equal(HealthStatus.Unhealthy, report.Entries[BusReadinessCheck.Name].Status);
        await host.StopAsync();
    }

    private async Task<IHost> StartAsync(string brokerUri)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = brokerUri });
        builder.Services.AddSqliteDbContext<TestDbContext>(_folder.File("bus.db"));
        builder.Services.AddMessaging<TestDbContext>(builder.Configuration, _ => { });
        var host = builder.Build();
        await host.StartAsync(); // the services' setting: the bus starts in the background
        return host;
    }
}
