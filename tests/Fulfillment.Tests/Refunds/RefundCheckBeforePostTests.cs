using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Refunds;

/// <summary>
/// The refund check right before the POST: a purchase held up between its claim and its POST (here stalled at its lease
/// fence while the test moves Fulfillment's clock past RefundCheckAfter) asks the Api again; one that is not held up asks
/// nothing more. The clock is the test's, so neither depends on how fast the machine is.
/// </summary>
public sealed class RefundCheckBeforePostTests : RefundApiScenario
{
    private static readonly TimeSpan HeldUp = TimeSpan.FromSeconds(3);

    private readonly TestClock _clock = new();

    [Fact]
    public async Task An_immediate_purchase_held_up_past_RefundCheckAfter_before_its_POST_is_cancelled_on_the_Apis_word_and_the_refund_that_follows_is_answered()
    {
        using var refunded = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.fulfillment.refund_checks", new("outcome", "refunded"));
        var gate = new FenceGate(afterTheCheck: false);
        await using var fulfillment = await StartFulfillmentAsync(AskingApi, s => s.AddSingleton<TimeProvider>(_clock).AddSingleton<IInterceptor>(gate));
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await HoldUpBeforePostAsync(gate, () => RefundApi.Refunded[orderId] = DateTimeOffset.UtcNow);

        var ended = await OutcomeAsync(fulfillment, orderId);
        Assert.Equal((FulfillmentState.Cancelled, 0, (string?)null), (ended.State, ended.Attempts, ended.LeaseOwner));
        Assert.NotNull(ended.RefundedAt);
        Assert.Empty(Wren.State.ReceivedPosts);
        Assert.Equal(1, refunded.Value);

        // The OrderRefunded still on its way is answered as for any cancelled purchase.
        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(() => Api.RefundAcknowledgements.Any(a => a.OrderId == orderId && a.Cancelled), because: "the refund is acknowledged");
        Assert.Empty(Wren.State.ReceivedPosts);
        Assert.Empty(Api.Placed);
    }

    [Fact]
    public async Task An_immediate_purchase_held_up_past_RefundCheckAfter_with_the_Api_down_is_not_posted_stays_scheduled_and_is_bought_once_the_Api_answers()
    {
        using var unavailable = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.fulfillment.refund_checks", new("outcome", "unavailable"));
        var gate = new FenceGate(afterTheCheck: false);
        await using var fulfillment = await StartFulfillmentAsync(AskingApi, s => s.AddSingleton<TimeProvider>(_clock).AddSingleton<IInterceptor>(gate));
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await HoldUpBeforePostAsync(gate, () => RefundApi.Down = true);

        await Eventually.TrueAsync(() => unavailable.Value >= 1, because: "the Api is asked before the POST and cannot answer");
        var waiting = (await fulfillment.FulfillmentAsync(orderId))!;
        Assert.Equal((FulfillmentState.Scheduled, 0, OffsetFulfillment.RefundCheckUnavailable), (waiting.State, waiting.Attempts, waiting.LastError));
        Assert.Empty(Wren.State.ReceivedPosts);

        RefundApi.Down = false;
        await PlacedAsync(orderId);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(1, (await fulfillment.FulfillmentAsync(orderId))!.Attempts);
    }

    [Fact]
    public async Task A_POST_within_RefundCheckAfter_of_the_claims_answer_or_of_an_immediate_payment_asks_the_Api_nothing_more()
    {
        _clock.Stop();
        await using var fulfillment = await StartFulfillmentAsync(AskingApi, s => s.AddSingleton<TimeProvider>(_clock));
        var delayed = Guid.NewGuid();
        var immediate = Guid.NewGuid();

        // Paid a minute ago: asked about at its claim. Paid now: not asked about at all.
        await Api.PublishAsync(TestBus.Payment(delayed) with { PaidAt = _clock.GetUtcNow().AddMinutes(-1) }, Guid.NewGuid());
        await Api.PublishAsync(TestBus.Payment(immediate) with { PaidAt = _clock.GetUtcNow() }, Guid.NewGuid());

        await PlacedAsync(delayed);
        await PlacedAsync(immediate);
        Assert.Equal([delayed], Assert.Single(RefundApi.Questions));
        Assert.Equal(2, Wren.State.ReceivedPosts.Count);
    }

    /// <summary>
    /// Once the claim committed Attempting, the step is stopped before its fence; <paramref name="meanwhile"/> happens at the
    /// Api and the clock moves past RefundCheckAfter before the step goes on towards its POST.
    /// </summary>
    private async Task HoldUpBeforePostAsync(FenceGate gate, Action meanwhile)
    {
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(90));
        meanwhile();
        _clock.Advance(HeldUp);
        gate.Open();
    }

    private static async Task<OffsetFulfillment> OutcomeAsync(FulfillmentTestHost fulfillment, Guid orderId) =>
        (await Eventually.ValueAsync(() => fulfillment.FulfillmentAsync(orderId),
            f => f is { State: FulfillmentState.Cancelled or FulfillmentState.Placed }, because: "the purchase ends"))!;

    /// <summary>A lease long enough that moving the clock never costs it (the fence wants a Wren timeout of it left).</summary>
    private void AskingApi(Dictionary<string, string?> settings)
    {
        FakeRefundApi.AskedBy(settings, RefundApi);
        settings["Fulfillment:RefundCheckAfter"] = "00:00:02";
        settings["Fulfillment:LeaseDuration"] = "00:01:00";
    }
}
