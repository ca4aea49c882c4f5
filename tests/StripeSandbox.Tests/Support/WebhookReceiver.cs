using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.StripeSandbox.Tests.Support;

/// <summary>One webhook request as an endpoint received it.</summary>
public sealed record ReceivedWebhook(string Body, string SignatureHeader, DateTimeOffset ReceivedAt);

/// <summary>A webhook endpoint on Kestrel that records every request and answers the planned statuses (then 200).</summary>
public sealed class WebhookReceiver(WebApplication app, Uri url) : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly ConcurrentQueue<HttpStatusCode> _plannedAnswers = new();

    public Uri Url { get; } = url;

    public IReadOnlyList<ReceivedWebhook> Received => _received.ToArray();

    public void AnswerNext(params HttpStatusCode[] statuses)
    {
        foreach (var status in statuses)
        {
            _plannedAnswers.Enqueue(status);
        }
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            receiver!._received.Enqueue(new ReceivedWebhook(body, request.Headers["Stripe-Signature"].ToString(), DateTimeOffset.UtcNow));
            return Results.StatusCode((int)(receiver._plannedAnswers.TryDequeue(out var status) ? status : HttpStatusCode.OK));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, new Uri(new Uri(address), "/hook"));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
