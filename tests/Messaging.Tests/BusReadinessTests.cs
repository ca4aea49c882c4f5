using MassTransit;
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
/// its broker is still reported unhealthy; and a host stopped while its bus still connects stops the bus.
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
        // Nothing it asserts depends on the wait's length (the broker never answers), so the check and the stop each wait
        // 2 s instead of the services' 10.
        using var host = await StartAsync($"amqp://guest:guest@127.0.0.1:{RabbitMqBroker.FreeTcpPort()}/",
            services => services.Configure<BusStartupOptions>(startup => startup.StartupWait = TimeSpan.FromSeconds(2)));

        var report = await host.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(registration => registration.Name == BusReadinessCheck.Name);

        Assert.Equal(HealthStatus.Unhealthy, report.Entries[BusReadinessCheck.Name].Status);
        // The stop waits for the start underway at most StartupWait: a broker that never answers does not hold it.
        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_host_stopped_while_its_bus_still_connects_stops_the_bus_once_it_has_started()
    {
        var gate = new HeldStart();
        using var host = await StartAsync(await (await RabbitMqBroker.Shared).CreateVirtualHostAsync(),
            services => services.AddBusObserver(_ => gate));
        await gate.Connected.WaitAsync(TimeSpan.FromSeconds(60)); // the bus has connected; its start is held before it finishes

        // A SIGTERM during a start, or a test stopping the service it has just started. MassTransit alone answers
        // "Not Started", returns, and the bus then finishes starting and runs on.
        var stopping = host.StopAsync();
        // A bound, not a pause the assertion depends on: with the fix the stop cannot end while the start is held, so
        // nothing observable marks "MassTransit was asked to stop"; without it the stop ends at once and the bus then runs on.
        await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(1)));
        gate.Release();
        await stopping.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(gate.Stopped, "the bus was stopped after its start finished");
        Assert.Equal(BusHealthStatus.Unhealthy, host.Services.GetRequiredService<IBusControl>().CheckHealth().Status);
    }

    private async Task<IHost> StartAsync(string brokerUri, Action<IServiceCollection>? services = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = brokerUri });
        builder.Services.AddSqliteDbContext<TestDbContext>(_folder.File("bus.db"));
        builder.Services.AddMessaging<TestDbContext>(builder.Configuration, _ => { });
        services?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync(); // the services' setting: the bus starts in the background
        return host;
    }

    /// <summary>Holds the bus's start after it connected (observers run before MassTransit records the bus as started).</summary>
    private sealed class HeldStart : IBusObserver
    {
        private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Connected => _connected.Task;

        public bool Stopped { get; private set; }

        public void Release() => _released.TrySetResult();

        public async Task PostStart(IBus bus, Task<BusReady> busReady)
        {
            _connected.TrySetResult();
            await _released.Task;
        }

        public Task PostStop(IBus bus)
        {
            Stopped = true;
            return Task.CompletedTask;
        }

        public void PostCreate(IBus bus)
        {
        }

        public void CreateFaulted(Exception exception)
        {
        }

        public Task PreStart(IBus bus) => Task.CompletedTask;

        public Task StartFaulted(IBus bus, Exception exception) => Task.CompletedTask;

        public Task PreStop(IBus bus) => Task.CompletedTask;

        public Task StopFaulted(IBus bus, Exception exception) => Task.CompletedTask;
    }
}
