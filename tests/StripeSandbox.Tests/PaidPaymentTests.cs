using System.Net;
using PuffinOffset.StripeSandbox.Tests.Support;
using Stripe;

namespace PuffinOffset.StripeSandbox.Tests;

/// <summary>Refunds and disputes of a paid session from the pending-payments page, and the signed events they send.</summary>
public sealed class PaidPaymentTests : SandboxTestBase
{
    [Fact]
    public async Task A_full_refund_sends_a_verifiable_charge_refunded_for_the_sessions_payment_intent()
    {
        var (sessionId, paymentIntent) = await PaidSessionAsync();
        Assert.Contains($"id=\"refund-{sessionId}\"", await Browser.GetStringAsync("/c/pending"));

        using var refunded = await ActAsync(sessionId, "refund");

        Assert.Equal(HttpStatusCode.Redirect, refunded.StatusCode);
        var stripeEvent = Verify((await ReceivedAsync(2))[1]);
        var charge = Assert.IsType<Charge>(stripeEvent.Data.Object);
        Assert.Equal(("charge.refunded", paymentIntent, 2500L, 2500L, true), (stripeEvent.Type, charge.PaymentIntentId, charge.Amount, charge.AmountRefunded, charge.Refunded));
        Assert.Equal(2500L, Assert.Single(charge.Refunds.Data).Amount);
        Assert.Contains("refunded $25.00", await Browser.GetStringAsync("/c/pending"));

        using var again = await ActAsync(sessionId, "refund");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(2, Events.EventsFor(sessionId).Count);
    }

    [Fact]
    public async Task A_partial_refund_then_the_rest_sends_two_charge_refunded_with_growing_amounts()
    {
        var (sessionId, _) = await PaidSessionAsync();

        (await ActAsync(sessionId, "refund-partial")).Dispose();
        (await ActAsync(sessionId, "refund")).Dispose();

        var charges = (await ReceivedAsync(3)).Skip(1).Select(Verify).Select(e => (Charge)e.Data.Object).ToList();
        Assert.Equal([(1250L, false), (2500L, true)], charges.Select(c => (c.AmountRefunded, c.Refunded)));
        Assert.Equal(charges[0].Id, charges[1].Id);
    }

    [Fact]
    public async Task A_dispute_is_opened_then_closed_with_verifiable_dispute_events()
    {
        var (sessionId, paymentIntent) = await PaidSessionAsync();

        (await ActAsync(sessionId, "dispute")).Dispose();
        (await ActAsync(sessionId, "dispute-lost")).Dispose();
        using var closedTwice = await ActAsync(sessionId, "dispute-won");

        Assert.Equal(HttpStatusCode.Conflict, closedTwice.StatusCode);
        var events = (await ReceivedAsync(3)).Skip(1).Select(Verify).ToList();
        var disputes = events.Select(e => (e.Type, Dispute: Assert.IsType<Dispute>(e.Data.Object))).ToList();
        Assert.Equal([("charge.dispute.created", "needs_response"), ("charge.dispute.closed", "lost")], disputes.Select(d => (d.Type, d.Dispute.Status)));
        Assert.All(disputes, d => Assert.Equal((paymentIntent, 2500L), (d.Dispute.PaymentIntentId, d.Dispute.Amount)));
    }

    [Fact]
    public async Task An_unpaid_session_can_be_neither_refunded_nor_disputed()
    {
        var session = await CreateSessionAsync();
        (await SubmitAsync(session.Id, "delayed")).Dispose();

        using var refund = await ActAsync(session.Id, "refund");
        using var dispute = await ActAsync(session.Id, "dispute");

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.Conflict), (refund.StatusCode, dispute.StatusCode));
        Assert.Equal(["checkout.session.completed"], Events.EventsFor(session.Id).Select(e => e.Type));
    }

    private async Task<(string SessionId, string PaymentIntent)> PaidSessionAsync()
    {
        var session = await CreateSessionAsync(amount: 2500);
        (await SubmitAsync(session.Id, "card")).Dispose();
        var completed = Verify(Assert.Single(await ReceivedAsync(1)));
        return (session.Id, ((Stripe.Checkout.Session)completed.Data.Object).PaymentIntentId);
    }

    private Task<HttpResponseMessage> ActAsync(string sessionId, string action) =>
        Browser.PostAsync($"/c/payments/{sessionId}", new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = action }));
}
