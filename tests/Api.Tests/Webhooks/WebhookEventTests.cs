using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;

namespace PuffinOffset.Api.Tests.Webhooks;

public sealed class WebhookEventTests : ApiTestBase
{
    // These tests read the outbox rows; publishing them is covered by OutboxDeliveryTests.
    protected override void Configure(Dictionary<string, string?> settings) => settings["Outbox:DispatcherEnabled"] = "false";

    [Fact]
    public async Task A_paid_checkout_marks_the_order_paid_and_queues_one_payment_completed()
    {
        var created = await CreateOrderAsync(tons: 2.5m, portfolioId: 21, email: "buyer@example.com");
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);

        using var response = await PostSignedWebhookAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Paid, "pi_3TESTpaid0001IntentAbCd"), (order.Status, order.PaymentIntentId));
        var message = await SinglePaymentCompletedAsync();
        Assert.Equal(created.OrderId, message.OrderId);
        Assert.Equal(created.SessionId, message.CheckoutSessionId);
        Assert.Equal("pi_3TESTpaid0001IntentAbCd", message.PaymentIntentId);
        Assert.Equal((2.5m, 21, 100428L, "usd", "buyer@example.com"), (message.Tons, message.PortfolioId, message.AmountTotal, message.Currency, message.CustomerEmail));

        using var view = await Client.GetAsync($"/api/checkout/session/{created.SessionId}");
        using var json = JsonDocument.Parse(await view.Content.ReadAsStringAsync());
        Assert.Equal("paid", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_repeated_event_is_200_and_does_nothing_again()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);

        using var first = await PostSignedWebhookAsync(body);
        var afterFirst = await DatabaseSnapshotAsync();
        using var second = await PostSignedWebhookAsync(body); // Stripe re-signs each delivery

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(afterFirst, await DatabaseSnapshotAsync());
        Assert.Equal(1, await OutboxCountAsync());
    }

    [Fact]
    public async Task Ten_identical_deliveries_at_the_same_moment_have_exactly_one_effect()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        using var start = new SemaphoreSlim(0);
        var deliveries = Enumerable.Range(0, 10).Select(async _ =>
        {
            await start.WaitAsync();
            return await PostSignedWebhookAsync(body);
        }).ToList();

        start.Release(10);
        var responses = await Task.WhenAll(deliveries);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, await OutboxCountAsync());
        Assert.Equal(1, await Api.WithDbAsync(db => db.StripeEvents.CountAsync()));
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
    }

    [Fact]
    public async Task The_same_payment_told_by_two_events_queues_one_payment_completed()
    {
        var created = await CreateOrderAsync();

        await PostFixtureAsync(StripeEventFixture.CompletedPaid, created, "evt_TEST_a");
        await PostFixtureAsync(StripeEventFixture.AsyncSucceeded, created, "evt_TEST_b");

        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
        Assert.Equal(1, await OutboxCountAsync());
        Assert.Equal(2, await Api.WithDbAsync(db => db.StripeEvents.CountAsync()));
    }

    [Fact]
    public async Task A_delayed_payment_waits_then_is_paid()
    {
        var created = await CreateOrderAsync();

        await PostFixtureAsync(StripeEventFixture.CompletedUnpaid, created);
        Assert.Equal(OrderStatus.AwaitingPayment, (await OrderAsync(created.OrderId)).Status);
        Assert.Equal(0, await OutboxCountAsync());

        await PostFixtureAsync(StripeEventFixture.AsyncSucceeded, created);
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
        Assert.Equal(1, await OutboxCountAsync());
    }

    [Fact]
    public async Task A_delayed_payment_that_fails_is_payment_failed()
    {
        var created = await CreateOrderAsync();

        await PostFixtureAsync(StripeEventFixture.CompletedUnpaid, created);
        await PostFixtureAsync(StripeEventFixture.AsyncFailed, created);

        Assert.Equal(OrderStatus.PaymentFailed, (await OrderAsync(created.OrderId)).Status);
        Assert.Equal(0, await OutboxCountAsync());
    }

    [Fact]
    public async Task Async_success_arriving_before_completed_unpaid_stays_paid()
    {
        var created = await CreateOrderAsync();

        await PostFixtureAsync(StripeEventFixture.AsyncSucceeded, created);
        await PostFixtureAsync(StripeEventFixture.CompletedUnpaid, created);

        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
        Assert.Equal(1, await OutboxCountAsync());
    }

    [Theory]
    [InlineData(StripeEventFixture.Expired)]
    [InlineData(StripeEventFixture.AsyncFailed)]
    [InlineData(StripeEventFixture.CompletedUnpaid)]
    public async Task A_late_event_after_paid_changes_nothing(string lateFixture)
    {
        var created = await CreateOrderAsync();
        await PostFixtureAsync(StripeEventFixture.CompletedPaid, created);
        var paid = await OrderAsync(created.OrderId);

        await PostFixtureAsync(lateFixture, created);

        var after = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Paid, paid.UpdatedAt), (after.Status, after.UpdatedAt));
        Assert.Equal(1, await OutboxCountAsync());
    }

    [Fact]
    public async Task An_expired_session_expires_the_order_and_a_late_payment_does_not_revive_it()
    {
        var created = await CreateOrderAsync();

        await PostFixtureAsync(StripeEventFixture.Expired, created);
        await PostFixtureAsync(StripeEventFixture.CompletedPaid, created);

        Assert.Equal(OrderStatus.Expired, (await OrderAsync(created.OrderId)).Status);
        Assert.Equal(0, await OutboxCountAsync());
    }

    [Fact]
    public async Task An_event_for_an_unknown_session_and_order_is_200_and_recorded()
    {
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, "cs_test_a1UNKNOWNsession", Guid.NewGuid());

        using var response = await PostSignedWebhookAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var record = await Api.WithDbAsync(db => db.StripeEvents.SingleAsync());
        Assert.Equal("unknown_order", record.Outcome);
        Assert.Equal(0, await OutboxCountAsync());
    }

    [Fact]
    public async Task Other_event_types_are_200_and_ignored()
    {
        var created = await CreateOrderAsync();
        var before = await OrderAsync(created.OrderId);

        using var response = await PostSignedWebhookAsync(StripeEventFixture.Raw(StripeEventFixture.PaymentIntentCreated));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before.UpdatedAt, (await OrderAsync(created.OrderId)).UpdatedAt);
        Assert.Equal("ignored", (await Api.WithDbAsync(db => db.StripeEvents.SingleAsync())).Outcome);
    }

    [Fact]
    public async Task An_order_whose_session_id_was_never_saved_is_found_by_metadata()
    {
        // The Api died between Stripe's answer and saving the session id: the order has none.
        var orderId = Guid.NewGuid();
        await Api.WithDbAsync(async db =>
        {
            db.Orders.Add(Order.Create(orderId, 1m, 21, 40171, null, null, null, DateTimeOffset.UtcNow));
            return await db.SaveChangesAsync();
        });
        var sessionId = "cs_test_a1TESTsessionNeverSaved";

        using var response = await PostSignedWebhookAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, sessionId, orderId));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var order = await OrderAsync(orderId);
        Assert.Equal((OrderStatus.Paid, sessionId), (order.Status, order.CheckoutSessionId));
        Assert.Equal(1, await OutboxCountAsync());
    }

    private async Task PostFixtureAsync(string fixture, CreatedOrder order, string? eventId = null)
    {
        using var response = await PostSignedWebhookAsync(StripeEventFixture.For(fixture, order.SessionId, order.OrderId, eventId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<PaymentCompleted> SinglePaymentCompletedAsync()
    {
        var row = await Api.WithDbAsync(db => db.OutboxMessages.SingleAsync());
        return Assert.IsType<PaymentCompleted>(row.Deserialize());
    }
}
