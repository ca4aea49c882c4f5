using PuffinOffset.Fulfillment.Tests.Support;
using System.Collections.Concurrent;
using System.Diagnostics;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Observability;

[Trait("Engine", "Neutral")]
public sealed class TraceTests : FulfillmentScenario
{
    private static readonly ActivitySource Webhook = new("PuffinOffset.Tests.Webhook");

    [Fact]
    public async Task The_Wren_call_continues_the_trace_that_published_PaymentCompleted()
    {
        var stopped = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();

        ActivityTraceId traceId;
        using (var webhook = Webhook.StartActivity("POST /api/webhooks/stripe", ActivityKind.Server))
        {
            traceId = webhook!.TraceId;
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        }

        await PlacedAsync(orderId);
        var wrenPort = Wren.BaseAddress.Port.ToString();
        await Eventually.TrueAsync(() => stopped.Any(a => a.Kind == ActivityKind.Client && IsWrenPost(a, wrenPort)), because: "the Wren call was traced");
        var wrenCall = stopped.First(a => a.Kind == ActivityKind.Client && IsWrenPost(a, wrenPort));
        Assert.Equal(traceId, wrenCall.TraceId);
        Assert.Contains(stopped, a => a.Source.Name == "PuffinOffset.Fulfillment" && a.TraceId == traceId);
    }

    private static bool IsWrenPost(Activity activity, string port) =>
        activity.GetTagItem("http.request.method") as string == "POST"
        && activity.GetTagItem("url.full") is string url && url.Contains($":{port}/api/offset-orders", StringComparison.Ordinal);
}
