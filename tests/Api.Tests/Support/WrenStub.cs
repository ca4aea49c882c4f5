using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>Wren's <c>GET /api/portfolios</c> (snake_case) on a loopback Kestrel; can be switched off.</summary>
public sealed class WrenStub : IAsyncDisposable
{
    public const string DefaultPortfolios = """
        {"portfolios":[
          {"id":21,"name":"Trailblazer","description":"Carbon removal.","cost_per_ton":401.71,"image_url":"https://example.test/t.png","projects":[]},
          {"id":12,"name":"Climate Fund","description":"Broad portfolio.","cost_per_ton":12.345,"image_url":"https://example.test/c.png","projects":[]}
        ]}
        """;

    private readonly WebApplication _app;
    private int _requests;

    public string Body { get; set; } = DefaultPortfolios;
    public bool Down { get; set; }
    public int Requests => Volatile.Read(ref _requests);
    public Uri BaseAddress { get; }

    private WrenStub(WebApplication app, Uri baseAddress) => (_app, BaseAddress) = (app, baseAddress);

    public static async Task<WrenStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        WrenStub? stub = null;
        app.MapGet("/api/portfolios", () =>
        {
            Interlocked.Increment(ref stub!._requests);
            return stub.Down
                ? Results.StatusCode(StatusCodes.Status503ServiceUnavailable)
                : Results.Content(stub.Body, "application/json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        stub = new WrenStub(app, new Uri(address));
        return stub;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
