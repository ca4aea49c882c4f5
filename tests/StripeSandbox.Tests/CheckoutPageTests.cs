using System.Net;
using PuffinOffset.StripeSandbox.Tests.Support;
using Stripe;
using Stripe.Checkout;

namespace PuffinOffset.StripeSandbox.Tests;

/// <summary>Each outcome of the hosted page, driven over HTTP as a browser would, and the events it raises.</summary>
public sealed class CheckoutPageTests : SandboxTestBase
{
    [Fact]
    public async Task The_page_shows_what_is_bought_the_amount_and_the_email()
    {
        var session = await CreateSessionAsync(amount: 123456);
        Assert.Equal(new Uri(Sandbox.BaseAddress, $"/c/pay/{session.Id}"), new Uri(session.Url));

        var html = await Browser.GetStringAsync(session.Url);
        Assert.Contains("Carbon offset: 2.5 t CO2e", html);
        Assert.Contains("$1,234.56", html);
        Assert.Contains("value=\"buyer@example.com\" readonly", html);
        Assert.Contains("id=\"pay-card\"", html);
    }

    [Fact]
    public async Task Paying_by_card_completes_the_session_paid_and_returns_to_the_success_url()
    {
        var session = await CreateSessionAsync();

        using var response = await SubmitAsync(session.Id, "card");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"{ShopOrigin}/checkout/success?session_id={session.Id}", response.Headers.Location!.ToString());
        Assert.Equal(["checkout.session.completed"], Events.EventsFor(session.Id).Select(e => e.Type));
        var webhook = Verify(Assert.Single(await ReceivedAsync(1)));
        Assert.Equal("paid", ((Session)webhook.Data.Object).PaymentStatus);
        var stored = await SessionsApi.GetAsync(session.Id);
        Assert.Equal(("complete", "paid"), (stored.Status, stored.PaymentStatus));
        Assert.NotNull(stored.PaymentIntentId);
        Assert.Null(stored.Url);
    }

    [Fact]
    public async Task A_second_submit_of_a_paid_session_charges_nothing_again()
    {
        var session = await CreateSessionAsync();
        (await SubmitAsync(session.Id, "card")).Dispose();

        using var again = await SubmitAsync(session.Id, "card");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Single(Events.EventsFor(session.Id));
        Assert.Equal(HttpStatusCode.Gone, (await Browser.GetAsync(session.Url)).StatusCode);
    }

    [Fact]
    public async Task A_delayed_payment_completes_unpaid_then_succeeds_when_confirmed_on_the_pending_page()
    {
        var session = await CreateSessionAsync();

        using var paid = await SubmitAsync(session.Id, "delayed");
        Assert.Equal(HttpStatusCode.Redirect, paid.StatusCode);
        var pending = await Browser.GetStringAsync("/c/pending");
        Assert.Contains($"id=\"confirm-{session.Id}\"", pending);

        using var confirmed = await SettleAsync(session.Id, "succeed");

        Assert.Equal($"{ShopOrigin}/checkout/success?session_id={session.Id}", confirmed.Headers.Location!.ToString());
        Assert.Equal(["checkout.session.completed", "checkout.session.async_payment_succeeded"], Events.EventsFor(session.Id).Select(e => e.Type));
        var delivered = (await ReceivedAsync(2)).Select(Verify).Select(e => (e.Type, ((Session)e.Data.Object).PaymentStatus));
        Assert.Equal([("checkout.session.completed", "unpaid"), ("checkout.session.async_payment_succeeded", "paid")], delivered);
        // No longer waiting for the bank; now among the payments taken, which can be refunded or disputed.
        var after = await Browser.GetStringAsync("/c/pending");
        Assert.DoesNotContain($"id=\"confirm-{session.Id}\"", after);
        Assert.Contains($"id=\"refund-{session.Id}\"", after);
    }

    [Fact]
    public async Task A_delayed_payment_that_fails_sends_async_payment_failed_and_cannot_be_settled_again()
    {
        var session = await CreateSessionAsync();
        (await SubmitAsync(session.Id, "delayed")).Dispose();

        (await SettleAsync(session.Id, "fail")).Dispose();
        using var again = await SettleAsync(session.Id, "succeed");

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(["checkout.session.completed", "checkout.session.async_payment_failed"], Events.EventsFor(session.Id).Select(e => e.Type));
        var stored = await SessionsApi.GetAsync(session.Id);
        Assert.Equal(("complete", "unpaid"), (stored.Status, stored.PaymentStatus));
    }

    [Fact]
    public async Task Cancelling_returns_to_the_cancel_url_and_sends_nothing()
    {
        var session = await CreateSessionAsync();

        using var response = await SubmitAsync(session.Id, "cancel");

        Assert.Equal($"{ShopOrigin}/checkout/cancel", response.Headers.Location!.ToString());
        Assert.Empty(Events.EventsFor(session.Id));
        Assert.Equal("open", (await SessionsApi.GetAsync(session.Id)).Status);
    }

    [Fact]
    public async Task Letting_the_session_expire_sends_checkout_session_expired_with_no_url()
    {
        var session = await CreateSessionAsync();

        using var response = await SubmitAsync(session.Id, "expire");

        Assert.Equal($"{ShopOrigin}/checkout/success?session_id={session.Id}", response.Headers.Location!.ToString());
        var expired = Verify(Assert.Single(await ReceivedAsync(1)));
        Assert.Equal("checkout.session.expired", expired.Type);
        var expiredSession = (Session)expired.Data.Object;
        Assert.Equal(("expired", "unpaid"), (expiredSession.Status, expiredSession.PaymentStatus));
        Assert.Null(expiredSession.Url);
        Assert.Null(expiredSession.PaymentIntentId);
    }

    [Fact]
    public async Task A_session_left_open_past_its_expires_at_expires_on_its_own()
    {
        var due = await CreateSessionAsync();
        var paid = await CreateSessionAsync();
        (await SubmitAsync(paid.Id, "card")).Dispose();

        Assert.Empty(Checkout.ExpireDue(due.ExpiresAt.AddSeconds(-1)));
        var expired = Checkout.ExpireDue(due.ExpiresAt);

        Assert.Equal([due.Id], expired);
        Assert.Equal(["checkout.session.expired"], Events.EventsFor(due.Id).Select(e => e.Type));
        Assert.Equal(["checkout.session.completed"], Events.EventsFor(paid.Id).Select(e => e.Type));
    }

    [Fact]
    public async Task Stripes_expire_call_expires_an_open_session_once()
    {
        var session = await CreateSessionAsync();

        var expired = await SessionsApi.ExpireAsync(session.Id);
        var again = await Assert.ThrowsAsync<StripeException>(() => SessionsApi.ExpireAsync(session.Id));

        Assert.Equal("expired", expired.Status);
        Assert.Equal(HttpStatusCode.BadRequest, again.HttpStatusCode);
        Assert.Equal(["checkout.session.expired"], Events.EventsFor(session.Id).Select(e => e.Type));
    }

    [Fact]
    public async Task Paying_without_an_email_is_refused_when_the_session_has_none()
    {
        var session = await CreateSessionAsync(customerEmail: null);

        using var response = await SubmitAsync(session.Id, "card", email: "");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(Events.EventsFor(session.Id));
    }

    private SessionService SessionsApi =>
        new(new StripeClient("sk_test_TESTONLYsecretkey", apiBase: Sandbox.BaseAddress.ToString().TrimEnd('/')));

    private Task<HttpResponseMessage> SettleAsync(string sessionId, string outcome) =>
        Browser.PostAsync($"/c/pending/{sessionId}", new FormUrlEncodedContent(new Dictionary<string, string> { ["outcome"] = outcome }));
}
