using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.StripeSandbox.Webhooks;

namespace PuffinOffset.Api.Tests.Recovery;

/// <summary>
/// ACH and SEPA settle in up to 4–14 days: an order awaiting such a payment is checked against its session for
/// 14 days, while a pending order's session is asked about for two (its 24 h lifetime plus a day).
/// </summary>
public sealed class DelayedPaymentReconciliationTests : ApiTestBase
{
    private static readonly CheckoutCustomer Customer = new("buyer@example.com", "Buyer");

    protected override void Configure(Dictionary<string, string?> settings) => settings["STRIPE_RECONCILE_INTERVAL"] = "01:00:00";

    [Fact]
    public async Task A_delayed_payment_settled_after_three_days_is_found_from_its_session_and_a_pending_order_that_old_is_not_asked()
    {
        var checkout = Stripe.Services.GetRequiredService<HostedCheckoutSessions>();
        var delayed = await CreateOrderAsync();
        checkout.PayWithDelayedMethod(delayed.SessionId, Customer);
        using (var response = await PostSignedWebhookAsync(Stripe.Services.GetRequiredService<EventLog>().EventsFor(delayed.SessionId)[^1].Json))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The bank confirms three days later; the webhook saying so is lost (the sandbox has no endpoint here,
        // so its event is not in the Events API either: only the session shows it). A pending order of that age
        // whose session was paid meanwhile is past its session's life and not asked.
        Assert.NotNull(checkout.ConfirmDelayedPayment(delayed.SessionId));
        var pending = await CreateOrderAsync();
        Assert.NotNull(checkout.PayByCard(pending.SessionId, Customer));
        var threeDaysAgo = DateTimeOffset.UtcNow.AddDays(-3);
        await Api.WithDbAsync(db => db.Orders.Where(o => o.Id == delayed.OrderId || o.Id == pending.OrderId)
            .ExecuteUpdateAsync(o => o.SetProperty(x => x.CreatedAt, threeDaysAgo)));

        Assert.Equal(1, await Api.Services.GetRequiredService<StripeReconciler>().RunOnceAsync(CancellationToken.None));

        Assert.Equal(OrderStatus.Paid, (await OrderAsync(delayed.OrderId)).Status);
        Assert.Equal(OrderStatus.Pending, (await OrderAsync(pending.OrderId)).Status);
        Assert.Equal(1, await OutboxCountAsync());
    }
}
