using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Tests.Orders;

[Trait("Engine", "Neutral")]
public sealed class OrderStateMachineTests
{
    private static readonly HashSet<(OrderStatus, OrderStatus)> Allowed =
    [
        (OrderStatus.Pending, OrderStatus.AwaitingPayment),
        (OrderStatus.Pending, OrderStatus.Paid),
        (OrderStatus.Pending, OrderStatus.PaymentFailed),
        (OrderStatus.Pending, OrderStatus.Expired),
        (OrderStatus.AwaitingPayment, OrderStatus.Paid),
        (OrderStatus.AwaitingPayment, OrderStatus.PaymentFailed),
        (OrderStatus.AwaitingPayment, OrderStatus.Expired),
        (OrderStatus.Paid, OrderStatus.Fulfilled),
        (OrderStatus.Paid, OrderStatus.FulfillmentFailed),
        (OrderStatus.FulfillmentFailed, OrderStatus.Fulfilled),
        (OrderStatus.Pending, OrderStatus.Refunded),
        (OrderStatus.AwaitingPayment, OrderStatus.Refunded),
        (OrderStatus.Paid, OrderStatus.Refunded),
        (OrderStatus.Fulfilled, OrderStatus.Refunded),
        (OrderStatus.FulfillmentFailed, OrderStatus.Refunded),
    ];

    public static TheoryData<OrderStatus, OrderStatus> EveryPair()
    {
        var data = new TheoryData<OrderStatus, OrderStatus>();
        foreach (var from in Enum.GetValues<OrderStatus>())
        {
            foreach (var to in Enum.GetValues<OrderStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Only_the_listed_transitions_are_allowed(OrderStatus from, OrderStatus to) =>
        Assert.Equal(Allowed.Contains((from, to)), OrderStateMachine.CanMove(from, to));

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void An_order_changes_exactly_when_the_transition_is_allowed(OrderStatus from, OrderStatus to)
    {
        var order = OrderIn(from);
        var before = order.UpdatedAt;
        var later = before.AddMinutes(5);

        var moved = order.TryMoveTo(to, later);

        Assert.Equal(Allowed.Contains((from, to)), moved);
        Assert.Equal(moved ? to : from, order.Status);
        Assert.Equal(moved ? later : before, order.UpdatedAt);
    }

    [Fact]
    public void Fulfilment_records_the_wren_order_and_dry_run()
    {
        var order = OrderIn(OrderStatus.Paid);
        Assert.True(order.TryMarkFulfilled("oo_123", dryRun: false, DateTimeOffset.UtcNow));
        Assert.Equal(("oo_123", (bool?)false), (order.WrenOrderId, order.DryRun));
    }

    [Fact]
    public void A_refused_payment_leaves_the_payment_intent_alone()
    {
        var order = OrderIn(OrderStatus.Fulfilled);
        Assert.False(order.TryMarkPaid("pi_late", "late@example.com", DateTimeOffset.UtcNow));
        Assert.Null(order.PaymentIntentId);
    }

    [Fact]
    public void Attention_reasons_accumulate_as_items_and_one_still_open_is_not_raised_twice()
    {
        var order = OrderIn(OrderStatus.Paid);
        var now = DateTimeOffset.UtcNow;
        Assert.True(order.RequireAttention(OrderAttention.DisputeOpened("dp_1", "fraudulent"), now));
        Assert.False(order.RequireAttention(OrderAttention.DisputeOpened("dp_1", "fraudulent"), now));
        Assert.True(order.RequireAttention(OrderAttention.PartialRefund(100, 2500), now));
        Assert.Equal([AttentionKind.DisputeOpened, AttentionKind.PartialRefund], order.Attention.Select(item => item.Kind));
        Assert.True(order.NeedsAttention);

        foreach (var item in order.Attention)
        {
            item.Resolve("ops", "done", now);
        }

        Assert.False(order.NeedsAttention);
        Assert.True(order.RequireAttention(OrderAttention.DisputeOpened("dp_1", "fraudulent"), now)); // resolved, so raised again
    }

    [Fact]
    public void A_smaller_refund_total_never_lowers_the_amount_refunded()
    {
        var order = OrderIn(OrderStatus.Paid);
        order.RecordRefund(500, DateTimeOffset.UtcNow);
        order.RecordRefund(200, DateTimeOffset.UtcNow);
        Assert.Equal(500, order.AmountRefunded);
    }

    /// <summary>Walks a new order along allowed transitions to <paramref name="status"/>.</summary>
    public static Order OrderIn(OrderStatus status)
    {
        var start = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
        var order = Order.Create(Guid.NewGuid(), 1m, 21, 40171, null, null, null, start);
        OrderStatus[] path = status switch
        {
            OrderStatus.Pending => [],
            OrderStatus.Fulfilled or OrderStatus.FulfillmentFailed or OrderStatus.Refunded => [OrderStatus.Paid, status],
            _ => [status],
        };
        foreach (var step in path)
        {
            Assert.True(order.TryMoveTo(step, start));
        }

        return order;
    }
}
