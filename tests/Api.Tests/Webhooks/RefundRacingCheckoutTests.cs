using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>
/// A full refund and its payment's Checkout event recorded at the same moment by two Api replicas (found by the chaos
/// soak at 28 orders/s): each transaction's snapshot misses the other's uncommitted change, so the refund finds no order
/// with its payment intent (<c>unknown_order</c>) and the Checkout event finds no earlier refund; both commit. The
/// order must still end refunded with its payment withdrawn, whichever side committed last. On SQLite one process
/// writes the file at a time, so the same webhooks one after the other must end the same way.
/// </summary>
public sealed class RefundRacingCheckoutTests : ApiTestBase
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);
    private static readonly string Refund = StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull);

    [Fact]
    public async Task A_refund_committed_while_the_checkout_event_held_its_snapshot_refunds_the_order()
    {
        var created = await CreateOrderAsync();
        var paid = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        if (!TestDatabase.IsPostgres)
        {
            await PostAsync(Client, Refund);
            await PostAsync(Client, paid);
            await AssertRefundedAsync(created.OrderId);
            return;
        }

        // The Checkout event's replica, held at its look for earlier refunds: its snapshot is taken (the batch's first
        // statement read the event ids), the order is not paid yet.
        var pause = new PausingCommandInterceptor(sql => sql.Contains("stripe_events") && sql.Contains("unknown_order"));
        await using var checkoutReplica = await Api.StartAnotherAsync(services => services.AddSingleton<IInterceptor>(pause));
        using var checkoutClient = checkoutReplica.CreateClient();
        var checkout = PostAsync(checkoutClient, paid);
        await pause.Reached.WaitAsync(Bound);

        await PostAsync(Client, Refund); // the other replica: no order has the payment intent yet
        Assert.Equal("unknown_order", await OutcomeAsync(StripeEventFixture.EventId(Refund)));
        pause.Release();
        await checkout.WaitAsync(Bound);

        await AssertRefundedAsync(created.OrderId);
    }

    [Fact]
    public async Task A_checkout_event_committed_while_the_refund_held_its_snapshot_refunds_the_order()
    {
        var created = await CreateOrderAsync();
        var paid = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        if (!TestDatabase.IsPostgres)
        {
            await PostAsync(Client, paid);
            await PostAsync(Client, Refund);
            await AssertRefundedAsync(created.OrderId);
            return;
        }

        // The refund's replica, held at its look for the order by payment intent, its snapshot taken before the payment.
        var pause = new PausingCommandInterceptor(sql => sql.Contains("FROM orders") && sql.Contains("\"PaymentIntentId\" = @"));
        await using var refundReplica = await Api.StartAnotherAsync(services => services.AddSingleton<IInterceptor>(pause));
        using var refundClient = refundReplica.CreateClient();
        var refund = PostAsync(refundClient, Refund);
        await pause.Reached.WaitAsync(Bound);

        await PostAsync(Client, paid); // the other replica: no refund recorded yet, so the order is paid
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
        pause.Release();
        await refund.WaitAsync(Bound);

        await AssertRefundedAsync(created.OrderId);
    }

    /// <summary>
    /// Refunded in full with no attention (the refund was known before any offset), the payment withdrawn from the
    /// outbox (no queue takes PaymentCompleted on the test's vhost, so it is still there to withdraw), one OrderRefunded.
    /// </summary>
    private async Task AssertRefundedAsync(Guid orderId)
    {
        var order = await OrderAsync(orderId);
        Assert.Equal((OrderStatus.Refunded, 2500L, StripeEventFixture.PaymentIntentId, null),
            (order.Status, order.AmountRefunded, order.PaymentIntentId, order.OpenAttention()));
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
        Assert.Equal(orderId, await Api.WithDbAsync(async db =>
            (await db.StripeEvents.SingleAsync(e => e.EventId == StripeEventFixture.EventId(Refund))).OrderId));
    }

    private Task<string> OutcomeAsync(string eventId) =>
        Api.WithDbAsync(async db => (await db.StripeEvents.SingleAsync(e => e.EventId == eventId)).Outcome);

    private static async Task PostAsync(HttpClient client, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, ApiHost.WebhookSecret));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
