using System.Net;
using Aspire.Hosting;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>The real AppHost (Api, Fulfillment, a broker) started for one test, with its own databases.</summary>
public sealed class SystemUnderTest : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);
    public static readonly string[] Services = ["api", "fulfillment"];

    private readonly TempFolder _data;

    private SystemUnderTest(DistributedApplication app, TempFolder data)
    {
        App = app;
        _data = data;
    }

    public DistributedApplication App { get; }

    public static async Task<SystemUnderTest> StartAsync(params string[] settings)
    {
        var data = new TempFolder();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            $"DATABASE_PATH={data.File("orders.db")}",
            $"FULFILLMENT_DATABASE_PATH={data.File("fulfillment.db")}",
            .. settings,
        ]);
        var system = new SystemUnderTest(await builder.BuildAsync(), data);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await system.App.StartAsync(timeout.Token);
        return system;
    }

    public async Task WaitUntilHealthyAsync(string resource)
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        await App.Services.GetRequiredService<ResourceNotificationService>().WaitForResourceHealthyAsync(resource, timeout.Token);
    }

    public async Task<HttpStatusCode> HealthAsync(string resource)
    {
        using var client = App.CreateHttpClient(resource);
        client.Timeout = TimeSpan.FromSeconds(10);
        try
        {
            using var response = await client.GetAsync("/health");
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _data.Dispose();
    }
}
