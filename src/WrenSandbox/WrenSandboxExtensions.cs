using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace PuffinOffset.WrenSandbox;

public static class WrenSandboxExtensions
{
    public static IServiceCollection AddWrenSandbox(this IServiceCollection services, IConfiguration? configuration = null, Action<WrenSandboxOptions>? configure = null)
    {
        var options = services.AddOptions<WrenSandboxOptions>();
        if (configuration is not null)
        {
            options.Bind(configuration.GetSection(WrenSandboxOptions.Section));
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton<SandboxState>();
        services.AddSingleton(TimeProvider.System);
        services.AddProblemDetails();
        return services;
    }

    public static IEndpointRouteBuilder MapWrenSandbox(this IEndpointRouteBuilder app) =>
        app.MapWrenApi().MapSandboxControl();
}

/// <summary>The sandbox on Kestrel at a free loopback port, for tests and benchmarks in the same process.</summary>
public sealed class WrenSandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WrenSandboxServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public SandboxState State => _app.Services.GetRequiredService<SandboxState>();

    public static async Task<WrenSandboxServer> StartAsync(Action<WrenSandboxOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddWrenSandbox(configure: configure);
        var app = builder.Build();
        app.MapWrenSandbox();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new WrenSandboxServer(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
