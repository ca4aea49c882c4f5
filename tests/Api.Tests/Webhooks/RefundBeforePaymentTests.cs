using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>
/// A full refund that overtakes the payment event (that event got a 5xx and waits in Stripe's retries) is final:
/// the order ends <c>refunded</c>, no <c>PaymentCompleted</c> is written or reaches the broker (so Wren is never
/// asked), and neither the late payment event nor a reconciliation that reads the session <c>paid</c> changes that.
/// </summary>
public sealed class RefundBeforePaymentTests : ApiTestBase
{
    private const string DelayedPaymentIntent = "pi_3TESTasync0002IntentEfGh";
    private static readonly CheckoutCustomer Customer = new("buyer@example.com", "Buyer");

    // Every order is old enough to reconcile; the background pass stays out of the way (the test runs its own).
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["STRIPE_RECONCILE_AFTER"] = "00:00:00";
        settings["STRIPE_RECONCILE_INTERVAL"] = "01:00:00";
    }

    [Fact]
    public async Task A_full_refund_while_a_delayed_payment_waits_refunds_the_order_and_the_payment_then_buys_nothing()
    {
        await using var fulfillment = await PaymentCompletedListener.StartAsync(BrokerUri);
        var created = await CreateOrderAsync();
        await PostFixtureAsync(StripeEventFixture.CompletedUnpaid, created);
        Assert.Equal(OrderStatus.AwaitingPayment, (await OrderAsync(created.OrderId)).Status);

        await PostAsync(StripeEventFixture.ForPaymentIntent(StripeEventFixture.ChargeRefundedFull, DelayedPaymentIntent));
        var refunded = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, 2500L, null), (refunded.Status, refunded.AmountRefunded, refunded.OpenAttention()));

        // Stripe's retry of the payment event, then a reconciliation that reads the session paid.
        await PostFixtureAsync(StripeEventFixture.AsyncSucceeded, created, "evt_TEST_asyncRetried");
        var sandbox = Stripe.Services.GetRequiredService<HostedCheckoutSessions>();
        sandbox.PayWithDelayedMethod(created.SessionId, Customer);
        Assert.NotNull(sandbox.ConfirmDelayedPayment(created.SessionId));
        await Api.Services.GetRequiredService<StripeReconciler>().RunOnceAsync(CancellationToken.None);

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, refunded.UpdatedAt, (DateTimeOffset?)null), (order.Status, order.UpdatedAt, order.PaidAt));
        Assert.Equal("refused_transition", await OutcomeAsync("evt_TEST_asyncRetried"));
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
        await AssertNoPaymentCompletedReachesTheBrokerAsync(fulfillment, created.OrderId);
    }

    [Fact]
    public async Task A_full_refund_heard_before_any_checkout_event_makes_the_order_refunded_when_the_payment_arrives()
    {
        await using var fulfillment = await PaymentCompletedListener.StartAsync(BrokerUri);
        var created = await CreateOrderAsync();
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull)); // no order knows the payment yet
        Assert.Equal("unknown_order", await OutcomeAsync(StripeEventFixture.EventId(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull))));

        await PostFixtureAsync(StripeEventFixture.CompletedPaid, created);
        var sandbox = Stripe.Services.GetRequiredService<HostedCheckoutSessions>();
        Assert.NotNull(sandbox.PayByCard(created.SessionId, Customer));
        await Api.Services.GetRequiredService<StripeReconciler>().RunOnceAsync(CancellationToken.None);

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, 2500L, StripeEventFixture.PaymentIntentId, null),
            (order.Status, order.AmountRefunded, order.PaymentIntentId, order.OpenAttention()));
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
        await AssertNoPaymentCompletedReachesTheBrokerAsync(fulfillment, created.OrderId);
    }

    /// <summary>
    /// Another order paid after this one's events reaches the broker's consumer (OrderRefunded has no consumer
    /// on this vhost), so the dispatcher had its chance to publish anything this order had queued.
    /// </summary>
    private async Task AssertNoPaymentCompletedReachesTheBrokerAsync(PaymentCompletedListener fulfillment, Guid refundedOrderId)
    {
        var control = await CreateOrderAsync();
        await PostAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, control.SessionId, control.OrderId, "evt_TEST_controlPaid")
            .Replace(StripeEventFixture.PaymentIntentId, "pi_3TESTcontrolIntent"));
        await Eventually.TrueAsync(() => fulfillment.Received.Any(r => r.Message.OrderId == control.OrderId), TimeSpan.FromSeconds(60),
            "the control order's PaymentCompleted reaches the broker's consumer");
        Assert.DoesNotContain(fulfillment.Received, r => r.Message.OrderId == refundedOrderId);
    }

    private Task<string> OutcomeAsync(string eventId) =>
        Api.WithDbAsync(async db => (await db.StripeEvents.SingleAsync(e => e.EventId == eventId)).Outcome);

    private async Task PostFixtureAsync(string fixture, CreatedOrder order, string? eventId = null) =>
        await PostAsync(StripeEventFixture.For(fixture, order.SessionId, order.OrderId, eventId));

    private async Task PostAsync(string body)
    {
        using var response = await PostSignedWebhookAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
