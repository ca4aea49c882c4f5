using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Recovery;
using Stripe.Checkout;

namespace PuffinOffset.Api.Tests.Recovery;

/// <summary>The event the reconciler builds from Stripe's session object carries what the webhook would have.</summary>
public sealed class ReconciledEventTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_paid_session_read_from_Stripe_keeps_its_live_mode(bool liveMode)
    {
        var session = new Session
        {
            Id = "cs_test_reconciled", Status = "complete", PaymentStatus = "paid", Livemode = liveMode,
            Metadata = new Dictionary<string, string> { ["orderId"] = Guid.NewGuid().ToString() },
        };

        var (stripeEvent, outcome) = StripeReconciler.SyntheticEvent(session, OrderStatus.Pending)!.Value;

        Assert.Equal(("checkout.session.completed", "paid", liveMode), (stripeEvent.Type, outcome, stripeEvent.LiveMode));
    }
}
