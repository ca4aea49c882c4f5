using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PuffinOffset.Api;
using PuffinOffset.Fulfillment;

namespace PuffinOffset.TestSupport;

/// <summary>
/// The one way the tests and benchmarks host a service in their own process: built the way its Program
/// builds it (service defaults, the service's own registrations and endpoints, its migration step as a
/// hosted step), on Kestrel at a free loopback port, so clients, browsers and the sandboxes reach it over
/// real HTTP. Per-service presets (the Api and Fulfillment tests' settings, <see cref="PuffinSystem"/>)
/// choose the settings; this type only hosts.
/// </summary>
public sealed class ServiceHost(WebApplication app) : IAsyncDisposable
{
    public Uri BaseAddress { get; } = new(app.Urls.First());

    public IServiceProvider Services => app.Services;

    /// <summary>An HTTP client of the service (each caller disposes its own).</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    /// <summary>An HTTP client of the service over <paramref name="handler"/> (e.g. one that connects from another address).</summary>
    public HttpClient CreateClient(HttpMessageHandler handler) => new(handler) { BaseAddress = BaseAddress };

    /// <summary>The environment of a service hosted in a test (setting <c>environment</c> overrides it).</summary>
    public const string TestEnvironment = "Testing";

    /// <param name="settings">The service's variables (configuration keys), as its environment would give them.</param>
    /// <param name="services">Registrations a test adds after the service's own (the last registration wins), e.g. interceptors.</param>
    /// <param name="logs">Also receives the service's log records (Warning and above).</param>
    public static Task<ServiceHost> StartApiAsync(IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? services = null, ILoggerProvider? logs = null) =>
        StartAsync(settings, builder => builder.AddApiServices(), app => app.UseApi(), services, logs);

    /// <inheritdoc cref="StartApiAsync"/>
    public static Task<ServiceHost> StartFulfillmentAsync(IReadOnlyDictionary<string, string?> settings,
        Action<IServiceCollection>? services = null, ILoggerProvider? logs = null) =>
        StartAsync(settings, builder => builder.AddFulfillmentServices(), app => app.UseFulfillment(), services, logs);

    private static async Task<ServiceHost> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        Action<WebApplicationBuilder> addServices,
        Action<WebApplication> useServices,
        Action<IServiceCollection>? services,
        ILoggerProvider? logs)
    {
        // "Testing" unless a test asks for another: some settings tests need (a dispatcher switched off) are refused in Production.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = settings.GetValueOrDefault(HostDefaults.EnvironmentKey) ?? TestEnvironment,
        });
        // A setting "urls" keeps a service at one address across restarts (another service is configured with it).
        builder.WebHost.UseUrls(settings.GetValueOrDefault(WebHostDefaults.ServerUrlsKey) ?? "http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.AddServiceDefaults();
        addServices(builder);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        useServices(app);
        await app.StartAsync();
        return new ServiceHost(app);
    }

    /// <summary>
    /// As the AppHost's orchestrator does before starting what waits for a service: probe its readiness
    /// from the moment it listens until it answers 200. The bound is for a start beside several others on a loaded
    /// machine (a fresh RabbitMQ node, three systems starting at once); a service that never gets ready fails with
    /// the state of each of its checks, which /health itself does not tell.
    /// </summary>
    public async Task WaitUntilReadyAsync()
    {
        using var client = CreateClient();
        try
        {
            await Eventually.TrueAsync(async () => (await client.GetAsync("/health")).IsSuccessStatusCode,
                TimeSpan.FromMinutes(3), $"{BaseAddress} answers /health with 200");
        }
        catch (TimeoutException timeout)
        {
            var report = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
            var checks = string.Join("; ", report.Entries.Select(entry =>
                $"{entry.Key} {entry.Value.Status} {entry.Value.Description} {entry.Value.Exception?.Message}".TrimEnd()));
            throw new TimeoutException($"{timeout.Message} Its checks now: {checks}", timeout);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
