using PuffinOffset.TestSupport;
using Stripe;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>The refund and dispute fixtures are what Stripe.net reads as a Charge or a Dispute, not just JSON we invented.</summary>
[Trait("Engine", "Neutral")]
public sealed class ChargeFixtureTests
{
    [Theory]
    [InlineData(StripeEventFixture.ChargeRefundedFull, 2500L, true)]
    [InlineData(StripeEventFixture.ChargeRefundedPartial, 1000L, false)]
    public void Refund_fixtures_deserialise_as_stripe_charges(string fixture, long amountRefunded, bool refunded)
    {
        var stripeEvent = EventUtility.ParseEvent(StripeEventFixture.Raw(fixture), throwOnApiVersionMismatch: false);

        var charge = Assert.IsType<Charge>(stripeEvent.Data.Object);
        Assert.Equal("charge.refunded", stripeEvent.Type);
        Assert.Equal((StripeEventFixture.PaymentIntentId, 2500L, amountRefunded, refunded), (charge.PaymentIntentId, charge.Amount, charge.AmountRefunded, charge.Refunded));
        var refund = Assert.Single(charge.Refunds.Data);
        Assert.Equal((amountRefunded, charge.Id), (refund.Amount, refund.ChargeId));
    }

    [Theory]
    [InlineData(StripeEventFixture.DisputeCreated, "charge.dispute.created", "needs_response")]
    [InlineData(StripeEventFixture.DisputeClosed, "charge.dispute.closed", "won")]
    public void Dispute_fixtures_deserialise_as_stripe_disputes(string fixture, string type, string status)
    {
        var stripeEvent = EventUtility.ParseEvent(StripeEventFixture.Raw(fixture), throwOnApiVersionMismatch: false);

        var dispute = Assert.IsType<Dispute>(stripeEvent.Data.Object);
        Assert.Equal((type, StripeEventFixture.PaymentIntentId, status, 2500L), (stripeEvent.Type, dispute.PaymentIntentId, dispute.Status, dispute.Amount));
    }
}
