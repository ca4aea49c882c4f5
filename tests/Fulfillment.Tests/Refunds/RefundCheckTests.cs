using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Refunds;

/// <summary>
/// Before a delayed purchase Fulfillment asks the Api whether the order was refunded (API_INTERNAL_URLS, a service key),
/// here a fake Api speaking the endpoint's JSON. Each payment is dated a minute back, so that its purchase is a delayed
/// one however fast the machine is.
/// </summary>
public sealed class RefundCheckTests : RefundApiScenario
{
    private FakeRefundApi _secondApi = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _secondApi = await FakeRefundApi.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        await _secondApi.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_delayed_purchase_of_an_order_the_Api_reports_refunded_is_cancelled_with_no_post_and_the_refund_that_follows_is_answered()
    {
        using var refunded = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.fulfillment.refund_checks", new("outcome", "refunded"));
        await using var fulfillment = await StartFulfillmentAsync(AskingApis(RefundApi));
        var orderId = Guid.NewGuid();
        RefundApi.Refunded[orderId] = DateTimeOffset.UtcNow.AddSeconds(-30);

        await Api.PublishAsync(DelayedPayment(orderId), Guid.NewGuid());

        await Eventually.TrueAsync(async () => await fulfillment.FulfillmentAsync(orderId) is { State: FulfillmentState.Cancelled },
            because: "the purchase is cancelled on the Api's word");
        Assert.True(RefundApi.WasAskedAbout(orderId));
        Assert.Empty(Wren.State.ReceivedPosts);
        Assert.NotNull((await fulfillment.FulfillmentAsync(orderId))!.RefundedAt);
        Assert.Equal(1, refunded.Value);

        // The OrderRefunded still on its way is answered as for any cancelled purchase.
        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(() => Api.RefundAcknowledgements.Any(a => a.OrderId == orderId && a.Cancelled), because: "the refund is acknowledged");
        Assert.Empty(Wren.State.ReceivedPosts);
        Assert.Empty(Api.Placed);
    }

    [Fact]
    public async Task With_the_Api_down_a_delayed_purchase_is_not_posted_stays_scheduled_and_is_bought_once_the_Api_answers_not_refunded()
    {
        using var unavailable = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.fulfillment.refund_checks", new("outcome", "unavailable"));
        using var notRefunded = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.fulfillment.refund_checks", new("outcome", "not_refunded"));
        RefundApi.Down = true;
        await using var fulfillment = await StartFulfillmentAsync(AskingApis(RefundApi));
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(DelayedPayment(orderId), Guid.NewGuid());

        await Eventually.TrueAsync(() => unavailable.Value >= 2, because: "the Api is asked again on the retry schedule");
        var waiting = (await fulfillment.FulfillmentAsync(orderId))!;
        Assert.Equal((FulfillmentState.Scheduled, 0, OffsetFulfillment.RefundCheckUnavailable), (waiting.State, waiting.Attempts, waiting.LastError));
        Assert.Empty(Wren.State.ReceivedPosts);

        RefundApi.Down = false;
        await PlacedAsync(orderId);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(1, notRefunded.Value);
    }

    [Fact]
    public async Task An_Api_instance_that_cannot_answer_is_passed_over_for_the_next_one()
    {
        var orderId = Guid.NewGuid();
        RefundApi.Down = true;
        _secondApi.Refunded[orderId] = DateTimeOffset.UtcNow;
        await using var fulfillment = await StartFulfillmentAsync(AskingApis(RefundApi, _secondApi));

        await Api.PublishAsync(DelayedPayment(orderId), Guid.NewGuid());

        await Eventually.TrueAsync(async () => await fulfillment.FulfillmentAsync(orderId) is { State: FulfillmentState.Cancelled },
            because: "the second instance's answer cancels the purchase");
        Assert.True(RefundApi.WasAskedAbout(orderId));
        Assert.True(_secondApi.WasAskedAbout(orderId));
        Assert.Empty(Wren.State.ReceivedPosts);
    }

    private static Action<Dictionary<string, string?>> AskingApis(params FakeRefundApi[] apis) => settings => FakeRefundApi.AskedBy(settings, apis);

    /// <summary>Paid a minute ago: a payment from a backlog, or held by Wren.</summary>
    private static PaymentCompleted DelayedPayment(Guid orderId) =>
        TestBus.Payment(orderId) with { PaidAt = DateTimeOffset.UtcNow.AddMinutes(-1) };
}
