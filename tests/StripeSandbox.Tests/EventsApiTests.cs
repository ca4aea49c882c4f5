using System.Net;
using System.Net.Http.Json;
using PuffinOffset.StripeSandbox.Tests.Support;
using PuffinOffset.TestSupport;
using Stripe;

namespace PuffinOffset.StripeSandbox.Tests;

/// <summary>
/// <c>GET /v1/events</c> read with Stripe.net's <c>EventService</c>, as the Api's reconciler reads it: which events'
/// deliveries all failed (or were never sent, webhooks off), filtered by type and creation time, newest first, paged.
/// </summary>
public sealed class EventsApiTests : SandboxTestBase
{
    private static readonly HostedCheckout.CheckoutCustomer Customer = new("buyer@example.com", "Test Buyer");

    [Fact]
    public async Task Undelivered_events_are_listed_by_delivery_success_type_and_creation_newest_first_and_paged()
    {
        // A: its only attempt is answered 500. B: delivered. C and D: raised while webhooks are switched off.
        Options.WebhookMaxAttempts = 1;
        Receiver.AnswerNext(HttpStatusCode.InternalServerError);
        var a = await CreateSessionAsync();
        Checkout.PayByCard(a.Id, Customer);
        await Eventually.TrueAsync(() => Events.Attempts.Count == 1, TimeSpan.FromSeconds(10), "A's one failed attempt");
        var b = await CreateSessionAsync();
        Checkout.PayByCard(b.Id, Customer);
        await Eventually.TrueAsync(() => Events.Attempts.Any(t => t.Succeeded), TimeSpan.FromSeconds(10), "B delivered");
        using (var off = await Browser.PutAsJsonAsync("/_sandbox/webhooks/delivery", new { on = false }))
        {
            Assert.Equal(HttpStatusCode.OK, off.StatusCode);
        }

        var c = await CreateSessionAsync();
        Checkout.PayByCard(c.Id, Customer);
        var d = await CreateSessionAsync();
        Checkout.Expire(d.Id);
        string EventOf(string sessionId) => Assert.Single(Events.EventsFor(sessionId)).Id;

        var undelivered = await ListAsync(new EventListOptions { DeliverySuccess = false });
        Assert.Equal([EventOf(d.Id), EventOf(c.Id), EventOf(a.Id)], undelivered.Data.Select(e => e.Id));
        Assert.False(undelivered.HasMore);
        Assert.Equal("checkout.session.expired", undelivered.Data[0].Type);
        Assert.Equal(d.Id, Assert.IsType<Stripe.Checkout.Session>(undelivered.Data[0].Data.Object).Id);

        var delivered = await ListAsync(new EventListOptions { DeliverySuccess = true });
        Assert.Equal([EventOf(b.Id)], delivered.Data.Select(e => e.Id));

        var completed = await ListAsync(new EventListOptions { DeliverySuccess = false, Types = ["checkout.session.completed", "charge.refunded"] });
        Assert.Equal([EventOf(c.Id), EventOf(a.Id)], completed.Data.Select(e => e.Id));

        var first = await ListAsync(new EventListOptions { DeliverySuccess = false, Limit = 2 });
        Assert.Equal([EventOf(d.Id), EventOf(c.Id)], first.Data.Select(e => e.Id));
        Assert.True(first.HasMore);
        var next = await ListAsync(new EventListOptions { DeliverySuccess = false, Limit = 2, StartingAfter = first.Data[^1].Id });
        Assert.Equal([EventOf(a.Id)], next.Data.Select(e => e.Id));
        Assert.False(next.HasMore);

        var future = await ListAsync(new EventListOptions { DeliverySuccess = false, Created = new DateRangeOptions { GreaterThanOrEqual = DateTime.UtcNow.AddMinutes(5) } });
        Assert.Empty(future.Data);
        var recent = await ListAsync(new EventListOptions { DeliverySuccess = false, Created = new DateRangeOptions { GreaterThanOrEqual = DateTime.UtcNow.AddDays(-30) } });
        Assert.Equal(3, recent.Data.Count);
    }

    [Fact]
    public async Task An_event_waiting_for_a_retry_is_undelivered_until_a_retry_succeeds()
    {
        Options.WebhookRetryDelay = TimeSpan.FromSeconds(2); // time to ask before the retry
        Receiver.AnswerNext(HttpStatusCode.ServiceUnavailable);
        var session = await CreateSessionAsync();
        Checkout.PayByCard(session.Id, Customer);
        await Eventually.TrueAsync(() => Events.Attempts.Count >= 1, TimeSpan.FromSeconds(10), "the first, failed attempt");
        var id = Assert.Single(Events.EventsFor(session.Id)).Id;
        Assert.Equal([id], (await ListAsync(new EventListOptions { DeliverySuccess = false })).Data.Select(e => e.Id));

        await Eventually.TrueAsync(() => Events.Attempts.Any(t => t.Succeeded), TimeSpan.FromSeconds(15), "the retry delivered");
        Assert.Empty((await ListAsync(new EventListOptions { DeliverySuccess = false })).Data);
        Assert.Equal([id], (await ListAsync(new EventListOptions { DeliverySuccess = true })).Data.Select(e => e.Id));
    }

    [Fact]
    public async Task Listing_events_needs_a_secret_key()
    {
        using var response = await new HttpClient { BaseAddress = Sandbox.BaseAddress }.GetAsync("/v1/events");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private Task<StripeList<Event>> ListAsync(EventListOptions options) =>
        new EventService(new StripeClient("sk_test_TESTONLYsecretkey", httpClient: new SystemNetHttpClient(maxNetworkRetries: 0),
            apiBase: Sandbox.BaseAddress.ToString().TrimEnd('/'))).ListAsync(options);
}
