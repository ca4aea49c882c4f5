using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace PuffinOffset.StripeSandbox;

/// <summary>The sandbox on Kestrel at a free loopback port, for tests and benchmarks in the same process.</summary>
public sealed class StripeSandboxHost(WebApplication app, Uri baseAddress) : IAsyncDisposable
{
    public Uri BaseAddress { get; } = baseAddress;
    public IServiceProvider Services => app.Services;
    public FaultInjector Faults => app.Services.GetRequiredService<FaultInjector>();
    public ApiOutage Outage => app.Services.GetRequiredService<ApiOutage>();
    public ReceivedRequests Requests => app.Services.GetRequiredService<ReceivedRequests>();
    public CheckoutSessionStore Sessions => app.Services.GetRequiredService<CheckoutSessionStore>();

    public static async Task<StripeSandboxHost> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddStripeSandbox();
        var app = builder.Build();
        app.MapStripeSandbox();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new StripeSandboxHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
