using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PuffinOffset.Messaging.InternalApi;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// The Api's <c>POST /api/internal/refund-status</c> on a loopback Kestrel, speaking its JSON: answers from
/// <see cref="Refunded"/>, 401 without <see cref="ServiceKey"/>, 503 while <see cref="Down"/>; records every question.
/// </summary>
public sealed class FakeRefundApi : IAsyncDisposable
{
    public const string ServiceKey = "fulfillment-TESTONLY-0123456789abcdef0123";

    private readonly WebApplication _app;

    private FakeRefundApi(WebApplication app, Uri baseAddress) => (_app, BaseAddress) = (app, baseAddress);

    public Uri BaseAddress { get; }

    public ConcurrentDictionary<Guid, DateTimeOffset> Refunded { get; } = new();

    public volatile bool Down;

    /// <summary>The order ids of every question, answered or not.</summary>
    public ConcurrentQueue<IReadOnlyList<Guid>> Questions { get; } = new();

    /// <summary>Fulfillment's settings to ask <paramref name="apis"/>, in turn, with this fake's service key.</summary>
    public static void AskedBy(Dictionary<string, string?> settings, params FakeRefundApi[] apis)
    {
        settings["API_INTERNAL_URLS"] = string.Join(",", apis.Select(a => a.BaseAddress));
        settings["API_SERVICE_KEY"] = ServiceKey;
        settings["Fulfillment:RefundCheckTimeout"] = "00:00:05";
    }

    public static async Task<FakeRefundApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        FakeRefundApi? api = null;
        app.MapPost(RefundStatusRequest.Path, (RefundStatusRequest request, HttpContext context) =>
        {
            api!.Questions.Enqueue(request.OrderIds ?? []);
            if (api.Down)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            if (context.Request.Headers.Authorization.ToString() != $"Bearer {ServiceKey}")
            {
                return Results.Problem(statusCode: StatusCodes.Status401Unauthorized);
            }

            return Results.Ok(new RefundStatusResponse([.. (request.OrderIds ?? []).Select(id => api.Refunded.TryGetValue(id, out var at)
                ? new OrderRefundStatus(id, true, true, "refunded", 100, at)
                : new OrderRefundStatus(id, true, false, "paid", 0, null))]));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        api = new FakeRefundApi(app, new Uri(address));
        return api;
    }

    public bool WasAskedAbout(Guid orderId) => Questions.Any(q => q.Contains(orderId));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
