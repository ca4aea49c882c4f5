using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.StripeSandbox.Webhooks;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Recovery;

/// <summary>
/// Webhooks that never arrive and cannot be seen from a Checkout session (a refund, a failed delayed payment) are
/// found in Stripe's Events API (<c>delivery_success=false</c>) by the reconciler and applied once, under their own
/// event ids, so that the real delivery arriving later is a duplicate.
/// </summary>
public sealed class UndeliveredEventsTests : ApiTestBase
{
    private static readonly CheckoutCustomer Customer = new("buyer@example.com", "Buyer");

    // Orders are too young for the session check: what moves them here is the Events API alone. The background
    // pass runs once at start, before any event; the test runs the others.
    protected override void Configure(Dictionary<string, string?> settings) => settings["STRIPE_RECONCILE_INTERVAL"] = "01:00:00";

    [Fact]
    public async Task A_refund_and_a_failed_payment_never_delivered_are_found_applied_once_and_their_late_delivery_is_a_duplicate()
    {
        using var refundsFound = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.stripe.reconciled_events", new("stripe.event_type", "charge.refunded"));
        using var failuresFound = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.stripe.reconciled_events",
            new("stripe.event_type", "checkout.session.async_payment_failed"));
        using var allFound = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.stripe.reconciled_events");
        var checkout = Stripe.Services.GetRequiredService<HostedCheckoutSessions>();
        var payments = Stripe.Services.GetRequiredService<PaidPayments>();

        // Paid by card and awaiting a bank, each told by its webhook...
        var paid = await CreateOrderAsync();
        checkout.PayByCard(paid.SessionId, Customer);
        await DeliverAsync(LastEventOf(paid.SessionId));
        var delayed = await CreateOrderAsync();
        checkout.PayWithDelayedMethod(delayed.SessionId, Customer);
        await DeliverAsync(LastEventOf(delayed.SessionId));
        Assert.Equal((OrderStatus.Paid, OrderStatus.AwaitingPayment), ((await OrderAsync(paid.OrderId)).Status, (await OrderAsync(delayed.OrderId)).Status));

        // ...then the endpoint is switched off: the refund and the bank's refusal are never delivered.
        await SwitchWebhooksAsync(on: false);
        var refund = payments.Refund(paid.SessionId)!;
        var failure = checkout.FailDelayedPayment(delayed.SessionId) is not null ? LastEventOf(delayed.SessionId) : null;
        Assert.Equal("checkout.session.async_payment_failed", failure?.Type);

        var reconciler = Api.Services.GetRequiredService<StripeReconciler>();
        await reconciler.RunOnceAsync(CancellationToken.None);

        var refunded = await OrderAsync(paid.OrderId);
        Assert.Equal((OrderStatus.Refunded, paid.AmountTotal), (refunded.Status, refunded.AmountRefunded));
        Assert.Equal(OrderStatus.PaymentFailed, (await OrderAsync(delayed.OrderId)).Status);
        Assert.Equal(("applied", "applied"), (await OutcomeAsync(refund.Id), await OutcomeAsync(failure!.Id)));
        Assert.Equal((1L, 1L, 2L), (refundsFound.Value, failuresFound.Value, allFound.Value));

        // Asked again, and then Stripe delivers them after all: nothing happens twice.
        await reconciler.RunOnceAsync(CancellationToken.None);
        await SwitchWebhooksAsync(on: true);
        await DeliverAsync(refund);
        await DeliverAsync(failure);

        Assert.Equal(2L, allFound.Value);
        Assert.Equal(1, await OutboxCountAsync("OrderRefunded"));
        // No Fulfillment queue is bound here, so the payment (published mandatory) never left the outbox: the full
        // refund withdrew it (PaymentWithdrawalTests), and the late deliveries wrote none again.
        Assert.Equal(0, await OutboxCountAsync());
        Assert.Equal(2, await Api.WithDbAsync(db => db.StripeEvents.CountAsync(e => e.EventId == refund.Id || e.EventId == failure.Id)));
        Assert.Equal(refunded.UpdatedAt, (await OrderAsync(paid.OrderId)).UpdatedAt);
    }

    [Fact]
    public async Task A_payment_and_its_full_refund_both_undelivered_end_the_order_refunded_without_a_payment_completed()
    {
        await SwitchWebhooksAsync(on: false);
        var created = await CreateOrderAsync();
        Stripe.Services.GetRequiredService<HostedCheckoutSessions>().PayByCard(created.SessionId, Customer);
        Assert.NotNull(Stripe.Services.GetRequiredService<PaidPayments>().Refund(created.SessionId));

        await Api.Services.GetRequiredService<StripeReconciler>().RunOnceAsync(CancellationToken.None);

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, (DateTimeOffset?)null), (order.Status, order.PaidAt));
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
    }

    private StripeEvent LastEventOf(string sessionId) => Stripe.Services.GetRequiredService<EventLog>().EventsFor(sessionId)[^1];

    /// <summary>Delivers the sandbox's event as Stripe would: its exact bytes, signed now.</summary>
    private async Task DeliverAsync(StripeEvent stripeEvent)
    {
        using var response = await PostSignedWebhookAsync(stripeEvent.Json);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task SwitchWebhooksAsync(bool on)
    {
        using var sandbox = new HttpClient { BaseAddress = Stripe.BaseAddress };
        using var response = await sandbox.PutAsJsonAsync("/_sandbox/webhooks/delivery", new { on });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<string> OutcomeAsync(string eventId) =>
        Api.WithDbAsync(async db => (await db.StripeEvents.SingleAsync(e => e.EventId == eventId)).Outcome);
}
