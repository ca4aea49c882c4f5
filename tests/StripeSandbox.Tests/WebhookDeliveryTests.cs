using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.StripeSandbox.Tests.Support;
using PuffinOffset.TestSupport;
using Stripe.Checkout;

namespace PuffinOffset.StripeSandbox.Tests;

public sealed class WebhookDeliveryTests : SandboxTestBase
{
    private static readonly CheckoutCustomer Customer = new("buyer@example.com", "Test Buyer");

    [Fact]
    public async Task An_event_is_signed_exactly_as_Stripe_signs_and_Stripe_net_accepts_it()
    {
        var session = await CreateSessionAsync();
        Checkout.PayByCard(session.Id, Customer);

        var webhook = Assert.Single(await ReceivedAsync(1));
        var stripeEvent = Verify(webhook);
        Assert.Equal("checkout.session.completed", stripeEvent.Type);
        Assert.Equal("2026-10-28.endive", stripeEvent.ApiVersion);
        var paid = Assert.IsType<Session>(stripeEvent.Data.Object);
        Assert.Equal(session.Id, paid.Id);
        Assert.Equal("paid", paid.PaymentStatus);
        Assert.Equal("complete", paid.Status);
        Assert.StartsWith("pi_", paid.PaymentIntentId);
        Assert.Null(paid.Url);
        Assert.Equal(session.Metadata["orderId"], paid.Metadata["orderId"]);
        Assert.Equal("buyer@example.com", paid.CustomerDetails.Email);
    }

    [Fact]
    public async Task With_webhooks_off_an_event_is_recorded_but_not_delivered_and_the_API_still_reports_the_payment()
    {
        Options.DeliverWebhooks = false;
        var unseen = await CreateSessionAsync();
        Checkout.PayByCard(unseen.Id, Customer);

        // Delivery on again: an event raised while it was off stays undelivered, as with a disabled endpoint.
        Options.DeliverWebhooks = true;
        var seen = await CreateSessionAsync();
        Checkout.PayByCard(seen.Id, Customer);

        var delivered = Assert.Single(await ReceivedAsync(1));
        Assert.Equal(seen.Id, Assert.IsType<Session>(Verify(delivered).Data.Object).Id);
        Assert.Single(Events.EventsFor(unseen.Id));
        Assert.DoesNotContain(Events.Attempts, a => a.EventId == Events.EventsFor(unseen.Id)[0].Id);
        var asked = await Sessions().GetAsync(unseen.Id);
        Assert.Equal(("complete", "paid"), (asked.Status, asked.PaymentStatus));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("on", true)]
    [InlineData("off", false)]
    public void STRIPE_SANDBOX_WEBHOOKS_turns_delivery_on_or_off(string? value, bool delivers)
    {
        using var services = SandboxSettings(value);

        Assert.Equal(delivers, services.GetRequiredService<IOptions<StripeSandboxOptions>>().Value.DeliverWebhooks);
    }

    [Fact]
    public void Any_other_STRIPE_SANDBOX_WEBHOOKS_value_is_a_startup_error_naming_it()
    {
        using var services = SandboxSettings("no");

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StripeSandboxOptions>>().Value);
        Assert.Contains("STRIPE_SANDBOX_WEBHOOKS must be on or off.", error.Failures);
    }

    private static ServiceProvider SandboxSettings(string? webhooks)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["STRIPE_SANDBOX_WEBHOOKS"] = webhooks }).Build());
        services.AddStripeSandboxOptions();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task An_event_has_the_envelope_and_session_keys_of_Stripes_own_events()
    {
        var session = await CreateSessionAsync();
        Checkout.PayByCard(session.Id, Customer);

        using var sent = JsonDocument.Parse(Assert.Single(await ReceivedAsync(1)).Body);
        using var fixture = JsonDocument.Parse(StripeEventFixture.Raw(StripeEventFixture.CompletedPaid));
        Assert.Equal(Keys(fixture.RootElement), Keys(sent.RootElement));
        Assert.Equal(Keys(fixture.RootElement.GetProperty("request")), Keys(sent.RootElement.GetProperty("request")));
        var fixtureSession = Keys(fixture.RootElement.GetProperty("data").GetProperty("object"));
        Assert.Subset(fixtureSession.ToHashSet(), Keys(sent.RootElement.GetProperty("data").GetProperty("object")).ToHashSet());
        Assert.StartsWith("evt_", sent.RootElement.GetProperty("id").GetString());
        Assert.Equal("event", sent.RootElement.GetProperty("object").GetString());
        Assert.False(sent.RootElement.GetProperty("livemode").GetBoolean());
    }

    [Fact]
    public async Task A_delivery_answered_500_is_retried_re_signed_with_a_new_timestamp_until_it_succeeds()
    {
        Options.WebhookRetryDelay = TimeSpan.FromSeconds(1); // so each attempt's t (whole seconds) differs
        Receiver.AnswerNext(HttpStatusCode.InternalServerError, HttpStatusCode.InternalServerError);
        var session = await CreateSessionAsync();
        Checkout.PayByCard(session.Id, Customer);

        var received = await ReceivedAsync(3);
        Assert.Equal(3, received.Count);
        Assert.Single(received.Select(w => w.Body).Distinct()); // same bytes, same event id
        Assert.Equal(3, received.Select(w => w.SignatureHeader).Distinct().Count());
        Assert.All(received, webhook => Verify(webhook));
        var timestamps = received.Select(w => long.Parse(w.SignatureHeader.Split(',')[0]["t=".Length..])).ToArray();
        Assert.True(timestamps[0] < timestamps[1] && timestamps[1] < timestamps[2], string.Join(", ", timestamps));
        await Eventually.TrueAsync(() => Events.Attempts.Count == 3);
        Assert.Equal([500, 500, 200], Events.Attempts.Select(a => a.StatusCode));
    }

    [Fact]
    public async Task A_delivery_to_an_endpoint_that_is_down_is_retried_once_it_is_up()
    {
        var upUrl = Options.WebhookUrl;
        Options.WebhookUrl = new Uri($"http://127.0.0.1:{ClosedPort()}/hook");
        var session = await CreateSessionAsync();
        Checkout.PayByCard(session.Id, Customer);

        await Eventually.TrueAsync(() => Events.Attempts.Count >= 1, because: "a failed first attempt");
        Assert.Null(Events.Attempts[0].StatusCode);
        Assert.NotNull(Events.Attempts[0].Error);
        Options.WebhookUrl = upUrl;

        var webhook = Assert.Single(await ReceivedAsync(1));
        Assert.Equal(Events.Events.Single().Id, Verify(webhook).Id);
    }

    [Fact]
    public async Task Delivery_stops_after_the_configured_number_of_attempts()
    {
        Options.WebhookMaxAttempts = 2;
        Receiver.AnswerNext(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable);
        var first = await CreateSessionAsync();
        Checkout.PayByCard(first.Id, Customer);
        await ReceivedAsync(2);

        // Without the bound, event 1's third attempt would follow within 100 ms, before event 2's retry completes.
        var second = await CreateSessionAsync();
        Checkout.PayByCard(second.Id, Customer);
        await Eventually.TrueAsync(() => Events.Attempts.Any(a => a.EventId == Events.Events[1].Id));
        await Eventually.TrueAsync(() => Events.Attempts.Count(a => a.EventId == Events.Events[1].Id) == 2, because: "the 3rd 503 is served to event 2");
        Assert.Equal(2, Events.Attempts.Count(a => a.EventId == Events.Events[0].Id));
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string[] Keys(JsonElement element) => element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
}

public sealed class DeliverTwiceTests : SandboxTestBase
{
    protected override void Configure(StripeSandboxOptions options) => options.DeliverTwice = true;

    [Fact]
    public async Task Every_event_is_delivered_twice_with_the_same_id_each_signed_on_its_own()
    {
        var session = await CreateSessionAsync();
        Checkout.PayByCard(session.Id, new CheckoutCustomer("buyer@example.com", "Test Buyer"));

        var received = await ReceivedAsync(2);
        Assert.Equal(2, received.Count);
        var events = received.Select(Verify).ToArray();
        Assert.Equal(events[0].Id, events[1].Id);
        Assert.Equal(received[0].Body, received[1].Body);
        Assert.Single(Events.Events);
        await Eventually.TrueAsync(() => Events.Attempts.Count == 2);
        Assert.Equal([1, 2], Events.Attempts.Select(a => a.Copy));
    }
}
