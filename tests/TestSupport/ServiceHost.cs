using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.TestSupport;

/// <summary>
/// A service built the way its Program builds it (service defaults, the service's own registrations and
/// endpoints, its migration step), on Kestrel at a free loopback port so a browser can reach it.
/// </summary>
public sealed class ServiceHost(WebApplication app) : IAsyncDisposable
{
    public Uri BaseAddress { get; } = new(app.Urls.First());

    public IServiceProvider Services => app.Services;

    public static async Task<ServiceHost> StartAsync(
        IReadOnlyDictionary<string, string?> settings,
        Action<WebApplicationBuilder> addServices,
        Action<WebApplication> useServices,
        ILoggerProvider? logs = null)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.AddServiceDefaults();
        addServices(builder);
        var app = builder.Build();
        useServices(app);
        await app.StartAsync();
        return new ServiceHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
