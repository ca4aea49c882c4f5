using System.Net;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.FulfillmentOutcomes;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Messaging;

public sealed class FulfillmentConsumerTests : ApiTestBase
{
    private static readonly TimeSpan Delivery = Eventually.DefaultTimeout;

    [Fact]
    public async Task Offset_order_placed_fulfils_the_order_once_even_when_redelivered()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync();
        var messageId = NewId.NextGuid();
        var placed = new OffsetOrderPlaced(order.OrderId, "oo_TEST_1", 2.5m, 21, 100428, DryRun: false, DateTimeOffset.UtcNow);

        await broker.Publisher.Publish(placed, context => context.MessageId = messageId);
        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).Status == OrderStatus.Fulfilled, Delivery);
        var fulfilled = await OrderAsync(order.OrderId);
        Assert.Equal(("oo_TEST_1", (bool?)false), (fulfilled.WrenOrderId, fulfilled.DryRun));

        // The same message again (a broker redelivery): recognised by the inbox, nothing changes.
        await broker.Publisher.Publish(placed with { WrenOrderId = "oo_TEST_other" }, context => context.MessageId = messageId);
        await Eventually.TrueAsync(async () => await AcknowledgedAsync("offset-order-placed") >= 2, Delivery, "the redelivery is consumed");

        var after = await OrderAsync(order.OrderId);
        Assert.Equal((fulfilled.UpdatedAt, "oo_TEST_1"), (after.UpdatedAt, after.WrenOrderId));
        Assert.Equal(1, await Api.WithDbAsync(db => db.InboxMessages.CountAsync(m => m.MessageId == messageId && m.Consumer == nameof(OffsetOrderPlacedConsumer))));
    }

    [Fact]
    public async Task Several_Wren_orders_for_one_paid_order_fulfil_it_and_flag_it_for_an_operator()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync();

        await broker.Publisher.Publish(new OffsetOrderPlaced(order.OrderId, "ch_oldest", 2.5m, 21, 0, DryRun: false, DateTimeOffset.UtcNow,
            DuplicateWrenOrderIds: ["ch_newer"]));

        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).Status == OrderStatus.Fulfilled, Delivery);
        var flagged = await OrderAsync(order.OrderId);
        Assert.Equal("ch_oldest", flagged.WrenOrderId);
        Assert.Equal("two Wren orders for one paid order: ch_oldest, ch_newer", flagged.OpenAttention());
    }

    [Fact]
    public async Task The_same_duplicate_reported_again_while_its_item_is_open_raises_no_second_item()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync();
        var placed = new OffsetOrderPlaced(order.OrderId, "ch_oldest", 2.5m, 21, 0, DryRun: false, DateTimeOffset.UtcNow, DuplicateWrenOrderIds: ["ch_newer"]);

        await broker.Publisher.Publish(placed);
        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).Status == OrderStatus.Fulfilled, Delivery);
        await broker.Publisher.Publish(placed); // Fulfillment answers a resent PaymentCompleted with the same outcome
        await Eventually.TrueAsync(async () => await AcknowledgedAsync("offset-order-placed") >= 2, Delivery, "the copy is consumed");

        var item = Assert.Single((await OrderAsync(order.OrderId)).Attention);
        Assert.Equal(AttentionKind.DuplicateWrenOrders, item.Kind);
    }

    [Fact]
    public async Task Offset_order_failed_marks_the_order_for_an_operator()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync();

        await broker.Publisher.Publish(new OffsetOrderFailed(order.OrderId, "Wren refused the order (402).", 1, DateTimeOffset.UtcNow));

        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).Status == OrderStatus.FulfillmentFailed, Delivery);
    }

    [Fact]
    public async Task A_replayed_fulfilment_that_succeeds_turns_a_failed_order_fulfilled()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync();
        await broker.Publisher.Publish(new OffsetOrderFailed(order.OrderId, "Wren refused the order (402).", 1, DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).Status == OrderStatus.FulfillmentFailed, Delivery);

        // The operator topped up Wren and replayed the fulfilment; Wren accepted it.
        await broker.Publisher.Publish(new OffsetOrderPlaced(order.OrderId, "oo_TEST_replayed", 2.5m, 21, 100428, DryRun: false, DateTimeOffset.UtcNow));

        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).Status == OrderStatus.Fulfilled, Delivery);
        Assert.Equal("oo_TEST_replayed", (await OrderAsync(order.OrderId)).WrenOrderId);
    }

    [Fact]
    public async Task A_fulfilment_message_for_an_unpaid_order_changes_nothing()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await CreateOrderAsync();

        await broker.Publisher.Publish(new OffsetOrderPlaced(order.OrderId, "oo_TEST_2", 1m, 21, 40171, DryRun: true, DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(async () => await Api.WithDbAsync(db => db.InboxMessages.AnyAsync()), Delivery);

        Assert.Equal(OrderStatus.Pending, (await OrderAsync(order.OrderId)).Status);
    }

    [Fact]
    public async Task An_offset_placed_after_the_refund_is_kept_on_the_refunded_order_for_an_operator()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync();
        using var refund = await PostSignedWebhookAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));
        Assert.Equal(OrderStatus.Refunded, (await OrderAsync(order.OrderId)).Status);

        // Wren's POST was already on its way when the refund arrived.
        await broker.Publisher.Publish(new OffsetOrderPlaced(order.OrderId, "oo_TEST_raced", 2.5m, 21, 100428, DryRun: false, DateTimeOffset.UtcNow));

        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).WrenOrderId == "oo_TEST_raced", Delivery);
        var after = await OrderAsync(order.OrderId);
        Assert.Equal((OrderStatus.Refunded, "offset oo_TEST_raced bought for a refunded payment"), (after.Status, after.OpenAttention()));
    }

    [Fact]
    public async Task A_live_payment_fulfilled_by_a_dry_run_asks_an_operator_and_is_counted_once()
    {
        using var livePaidDryRun = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.orders.live_paid_dry_run");
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync(liveMode: true);
        Assert.True((await OrderAsync(order.OrderId)).PaidInLiveMode);
        var placed = new OffsetOrderPlaced(order.OrderId, null, 2.5m, 21, 100428, DryRun: true, DateTimeOffset.UtcNow);

        await broker.Publisher.Publish(placed);
        await Eventually.TrueAsync(() => Task.FromResult(livePaidDryRun.Value == 1), Delivery, "the live payment fulfilled by a dry run is counted");

        var fulfilled = await OrderAsync(order.OrderId);
        Assert.Equal((OrderStatus.Fulfilled, (bool?)true), (fulfilled.Status, fulfilled.DryRun));
        var item = Assert.Single(fulfilled.Attention);
        Assert.Equal((AttentionKind.LivePaymentDryRun, OrderAttention.LivePaymentFulfilledByDryRun.Text), (item.Kind, item.Text));

        // Fulfillment publishes the same outcome again (it answers every PaymentCompleted): no second count.
        await broker.Publisher.Publish(placed);
        await Eventually.TrueAsync(async () => await AcknowledgedAsync("offset-order-placed") >= 2, Delivery, "the copy is consumed");
        Assert.Equal(1, livePaidDryRun.Value);
        Assert.Single((await OrderAsync(order.OrderId)).Attention);
    }

    [Fact]
    public async Task A_test_mode_payment_fulfilled_by_a_dry_run_is_neither_flagged_nor_counted()
    {
        using var livePaidDryRun = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.orders.live_paid_dry_run");
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync(liveMode: false);

        await broker.Publisher.Publish(new OffsetOrderPlaced(order.OrderId, null, 2.5m, 21, 100428, DryRun: true, DateTimeOffset.UtcNow));
        // Acknowledged only after the consumer returned, so after anything it would have counted.
        await Eventually.TrueAsync(async () => await AcknowledgedAsync("offset-order-placed") >= 1, Delivery, "the outcome is consumed");

        var fulfilled = await OrderAsync(order.OrderId);
        Assert.Equal((OrderStatus.Fulfilled, false), (fulfilled.Status, fulfilled.PaidInLiveMode));
        Assert.Empty(fulfilled.Attention);
        Assert.Equal(0, livePaidDryRun.Value);
    }

    [Fact]
    public async Task A_refund_acknowledgement_is_recorded_once_and_a_copy_of_it_changes_nothing()
    {
        await using var broker = await PaymentCompletedListener.StartAsync(BrokerUri);
        var order = await PaidOrderAsync();
        using var refund = await PostSignedWebhookAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));
        Assert.Equal(OrderStatus.Refunded, (await OrderAsync(order.OrderId)).Status);
        Assert.Null((await OrderAsync(order.OrderId)).RefundAcknowledgedAt);

        await broker.Publisher.Publish(new OrderRefundAcknowledged(order.OrderId, Cancelled: true, "Cancelled", DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(async () => (await OrderAsync(order.OrderId)).RefundAcknowledgedAt is not null, Delivery);
        var acknowledged = await OrderAsync(order.OrderId);

        // Fulfillment answered a resend that crossed the first answer: a new message, recorded by the inbox, changing nothing.
        await broker.Publisher.Publish(new OrderRefundAcknowledged(order.OrderId, Cancelled: true, "Cancelled", DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(async () => await Api.WithDbAsync(db => db.InboxMessages.CountAsync(m => m.Consumer == nameof(OrderRefundAcknowledgedConsumer))) == 2,
            Delivery, "the copy is consumed");

        var after = await OrderAsync(order.OrderId);
        Assert.Equal((acknowledged.RefundAcknowledgedAt, acknowledged.UpdatedAt, OrderStatus.Refunded), (after.RefundAcknowledgedAt, after.UpdatedAt, after.Status));
        Assert.Equal(1, await OutboxCountAsync("OrderRefunded"));
    }

    /// <param name="liveMode">Only the event's top-level <c>livemode</c> is set: the Api must read the event's own field.</param>
    private async Task<CreatedOrder> PaidOrderAsync(bool liveMode = false)
    {
        var order = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, order.SessionId, order.OrderId);
        if (liveMode)
        {
            var eventLiveMode = body.LastIndexOf("\"livemode\": false", StringComparison.Ordinal);
            body = body[..eventLiveMode] + "\"livemode\": true" + body[(eventLiveMode + "\"livemode\": false".Length)..];
        }

        using var response = await PostSignedWebhookAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return order;
    }

    /// <summary>Messages the consumer acknowledged on <paramref name="queue"/> (broker statistics; they lag a few seconds but only grow).</summary>
    private async Task<long> AcknowledgedAsync(string queue)
    {
        var broker = await RabbitMqBroker.Shared;
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        var vhost = RabbitMqBroker.VirtualHostOf(BrokerUri);
        using var json = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{broker.ManagementPort}/api/queues/{vhost}/{queue}"));
        return json.RootElement.TryGetProperty("message_stats", out var stats) && stats.TryGetProperty("ack", out var ack) ? ack.GetInt64() : 0;
    }
}
