using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.EndToEnd.Tests.Support;

/// <summary>Wren's price list only (until the Wren sandbox is on this branch).</summary>
public sealed class WrenPortfolioStub(WebApplication app) : IAsyncDisposable
{
    public Uri BaseAddress { get; } = new(app.Urls.First());

    public static async Task<WrenPortfolioStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapGet("/api/portfolios", () => Results.Content("""
            {"portfolios":[{"id":21,"name":"Trailblazer","description":"Carbon removal technology.","cost_per_ton":401.71,"projects":[]},
            {"id":7,"name":"Forests","description":"Protecting and restoring tropical forests.","cost_per_ton":12.345,"projects":[]}]}
            """, "application/json"));
        await app.StartAsync();
        return new WrenPortfolioStub(app);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
