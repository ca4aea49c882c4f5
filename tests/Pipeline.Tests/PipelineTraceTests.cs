using System.Diagnostics;
using System.Net.Http.Json;
using PuffinOffset.Pipeline.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// The whole pipeline as one trace: the webhook request, the Wren POST and the Api consuming the outcome share a
/// trace id. Alone in the process: the recorder sees every system's spans.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class PipelineTraceTests
{
    private sealed record OrderView(string Status);

    [Fact]
    public async Task One_trace_runs_from_the_webhook_request_to_the_Wren_call_and_back()
    {
        using var traces = new TraceRecorder();
        await using var system = await PuffinSystem.StartAsync();
        var session = await system.CreateSessionAsync(1m);

        using var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session);
        await OrderWhenAsync(system, session.SessionId, "fulfilled");

        var webhookRequest = await SpanAsync(traces, a => a.Kind == ActivityKind.Server
            && a.GetTagItem("url.path") as string == "/api/webhooks/stripe", "the webhook request");
        var wrenCall = await SpanAsync(traces, a => a.Kind == ActivityKind.Client
            && a.GetTagItem("http.request.method") as string == "POST"
            && (a.GetTagItem("url.full") as string ?? "").EndsWith("/api/offset-orders", StringComparison.Ordinal), "the Wren POST");
        var placedConsumed = await SpanAsync(traces, a => a.Kind == ActivityKind.Consumer
            && a.DisplayName == "offset-order-placed process", "the Api consuming OffsetOrderPlaced");

        Assert.Equal(webhookRequest.TraceId, wrenCall.TraceId);
        Assert.Equal(webhookRequest.TraceId, placedConsumed.TraceId);
    }

    private static Task<OrderView> OrderWhenAsync(PuffinSystem system, string sessionId, string status) =>
        Eventually.ValueAsync(
            async () => (await system.ApiClient.GetFromJsonAsync<OrderView>($"/api/checkout/session/{sessionId}"))!,
            order => order.Status == status,
            TimeSpan.FromSeconds(60),
            $"the order becomes {status}");

    private static Task<Activity> SpanAsync(TraceRecorder traces, Func<Activity, bool> match, string what) =>
        Eventually.ValueAsync(
            () => Task.FromResult(traces.Activities.FirstOrDefault(match)),
            activity => activity is not null,
            TimeSpan.FromSeconds(10),
            $"{what} is recorded")!;
}
