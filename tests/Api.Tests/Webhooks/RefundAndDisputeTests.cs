using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>charge.refunded and charge.dispute.* (found by the payment intent kept from Checkout), and payments for dead orders.</summary>
public sealed class RefundAndDisputeTests : ApiTestBase
{
    private const string PaymentIntent = StripeEventFixture.PaymentIntentId;

    // These tests read the outbox rows; publishing them is covered by OutboxDeliveryTests.
    protected override void Configure(Dictionary<string, string?> settings) => settings["Outbox:DispatcherEnabled"] = "false";

    [Fact]
    public async Task A_full_refund_before_fulfilment_refunds_the_order_and_queues_one_order_refunded()
    {
        using var refunds = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.orders.refunded");
        var created = await PaidOrderAsync();

        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, 2500L, null), (order.Status, order.AmountRefunded, order.OpenAttention()));
        var message = Assert.Single(await OutboxAsync<OrderRefunded>());
        Assert.Equal((created.OrderId, 2500L), (message.OrderId, message.AmountRefunded));
        Assert.Equal(1, refunds.Value);

        using var view = JsonDocument.Parse(await Client.GetStringAsync($"/api/orders/{created.OrderId}"));
        Assert.Equal(("refunded", 2500), (view.RootElement.GetProperty("status").GetString(), view.RootElement.GetProperty("amountRefunded").GetInt32()));
    }

    [Fact]
    public async Task A_full_refund_after_the_offset_was_bought_keeps_the_wren_order_and_asks_an_operator()
    {
        var created = await PaidOrderAsync();
        await Api.WithDbAsync(async db =>
        {
            var paid = await db.Orders.SingleAsync(o => o.Id == created.OrderId);
            paid.TryMarkFulfilled("oo_TEST_bought", dryRun: false, DateTimeOffset.UtcNow);
            return await db.SaveChangesAsync();
        });

        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, "oo_TEST_bought"), (order.Status, order.WrenOrderId));
        Assert.Equal("offset oo_TEST_bought bought for a refunded payment", order.OpenAttention());
        Assert.Single(await OutboxAsync<OrderRefunded>());
    }

    [Fact]
    public async Task A_partial_refund_records_the_amount_and_asks_an_operator_without_changing_the_status()
    {
        var created = await PaidOrderAsync();

        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedPartial));

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Paid, 1000L), (order.Status, order.AmountRefunded));
        Assert.Contains("partially refunded (1000 of", order.OpenAttention());
        Assert.Empty(await OutboxAsync<OrderRefunded>());
    }

    [Fact]
    public async Task A_refund_told_twice_has_one_effect()
    {
        var created = await PaidOrderAsync();
        var body = StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull);

        await PostAsync(body);
        var afterFirst = await OrderAsync(created.OrderId);
        await PostAsync(body); // the same event redelivered
        await PostAsync(StripeEventFixture.ForPaymentIntent(StripeEventFixture.ChargeRefundedFull, PaymentIntent, "evt_3TESTrefundAgain")); // a second event about the same refund
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedPartial)); // late and smaller

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, 2500L, afterFirst.UpdatedAt), (order.Status, order.AmountRefunded, order.UpdatedAt));
        Assert.Single(await OutboxAsync<OrderRefunded>());
    }

    [Fact]
    public async Task A_dispute_sets_disputed_with_attention_and_its_closing_clears_it()
    {
        var created = await PaidOrderAsync();

        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.DisputeCreated));
        var opened = await OrderAsync(created.OrderId);
        Assert.True(opened.Disputed);
        Assert.Equal("payment disputed (dp_1TESTpaid0001DisputeAbCd, reason fraudulent): answer it in Stripe's dashboard", opened.OpenAttention());

        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.DisputeClosed));
        var closed = await OrderAsync(created.OrderId);
        Assert.False(closed.Disputed);
        Assert.EndsWith("dispute dp_1TESTpaid0001DisputeAbCd closed: won", closed.OpenAttention());
        Assert.Equal(OrderStatus.Paid, closed.Status);
    }

    [Fact]
    public async Task A_payment_for_an_expired_order_asks_an_operator_logs_and_counts_it_once()
    {
        using var unfulfillable = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.orders.paid_for_unfulfillable");
        var created = await CreateOrderAsync();
        await PostFixtureAsync(StripeEventFixture.Expired, created);

        await PostFixtureAsync(StripeEventFixture.CompletedPaid, created, "evt_TEST_paidLate");
        await PostFixtureAsync(StripeEventFixture.AsyncSucceeded, created, "evt_TEST_paidLateAgain");

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Expired, PaymentIntent), (order.Status, order.PaymentIntentId));
        Assert.Equal("payment taken for an order that will not be fulfilled: refund or replay", order.OpenAttention());
        Assert.Equal(1, unfulfillable.Value);
        Assert.Equal(0, await OutboxCountAsync());
        Assert.Equal("attention", (await Api.WithDbAsync(db => db.StripeEvents.SingleAsync(e => e.EventId == "evt_TEST_paidLate"))).Outcome);

        // The operator refunds it: found by the payment intent the late event carried, no new question asked.
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));
        var refunded = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Expired, 2500L, order.OpenAttention()), (refunded.Status, refunded.AmountRefunded, refunded.OpenAttention()));
    }

    [Fact]
    public async Task A_payment_for_a_failed_payment_order_asks_an_operator()
    {
        using var unfulfillable = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.orders.paid_for_unfulfillable");
        var created = await CreateOrderAsync();
        await PostFixtureAsync(StripeEventFixture.CompletedUnpaid, created);
        await PostFixtureAsync(StripeEventFixture.AsyncFailed, created);

        await PostFixtureAsync(StripeEventFixture.AsyncSucceeded, created);

        var order = await OrderAsync(created.OrderId);
        Assert.Equal(OrderStatus.PaymentFailed, order.Status);
        Assert.Equal("payment taken for an order that will not be fulfilled: refund or replay", order.OpenAttention());
        Assert.Equal(1, unfulfillable.Value);
    }

    [Fact]
    public async Task The_payment_intent_of_a_delayed_payment_is_kept_while_it_waits()
    {
        var created = await CreateOrderAsync();

        await PostFixtureAsync(StripeEventFixture.CompletedUnpaid, created);

        Assert.Equal("pi_3TESTasync0002IntentEfGh", (await OrderAsync(created.OrderId)).PaymentIntentId);
    }

    [Fact]
    public async Task A_refund_of_an_unknown_payment_is_200_and_recorded_as_unknown()
    {
        await PaidOrderAsync();

        await PostAsync(StripeEventFixture.ForPaymentIntent(StripeEventFixture.ChargeRefundedFull, "pi_3TESTnotOurs"));

        Assert.Equal("unknown_order", (await Api.WithDbAsync(db => db.StripeEvents.SingleAsync(e => e.Type == "charge.refunded"))).Outcome);
        Assert.Empty(await OutboxAsync<OrderRefunded>());
    }

    [Fact]
    public async Task A_partial_refund_that_overtakes_its_checkout_event_is_recorded_and_flagged_once_the_order_is_known()
    {
        var created = await CreateOrderAsync();
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedPartial)); // the Checkout event is still being retried

        await PostFixtureAsync(StripeEventFixture.CompletedPaid, created);

        // Part of the money is still taken: the offset is bought and an operator decides about the rest. The amount is
        // the order's as if the refund had come after (the chaos soak found it left at 0 beside Stripe's refund).
        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Paid, 1000L), (order.Status, order.AmountRefunded));
        Assert.StartsWith("partially refunded (1000 of", order.OpenAttention());
        Assert.Equal((1, 0), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
        var record = await Api.WithDbAsync(db => db.StripeEvents.SingleAsync(e => e.Type == "charge.refunded"));
        Assert.Equal(("unknown_order", PaymentIntent, 1000L, false), (record.Outcome, record.PaymentIntentId, record.AmountRefunded, record.FullRefund));
    }

    private async Task<CreatedOrder> PaidOrderAsync()
    {
        var created = await CreateOrderAsync();
        await PostFixtureAsync(StripeEventFixture.CompletedPaid, created);
        Assert.Equal(PaymentIntent, (await OrderAsync(created.OrderId)).PaymentIntentId);
        return created;
    }

    private async Task PostFixtureAsync(string fixture, CreatedOrder order, string? eventId = null) =>
        await PostAsync(StripeEventFixture.For(fixture, order.SessionId, order.OrderId, eventId));

    private async Task PostAsync(string body)
    {
        using var response = await PostSignedWebhookAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<List<T>> OutboxAsync<T>() => await Api.WithDbAsync(async db =>
        (await db.OutboxMessages.Where(m => m.MessageType == typeof(T).Name).ToListAsync()).Select(m => Assert.IsType<T>(m.Deserialize())).ToList());
}
