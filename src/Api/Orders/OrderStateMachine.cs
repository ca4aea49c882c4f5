namespace PuffinOffset.Api.Orders;

/// <summary>
/// Every allowed status change, in one place. A status never moves backwards: Stripe delivers late,
/// duplicated and out-of-order events, so anything not listed here is refused and leaves the order as it is.
/// </summary>
public static class OrderStateMachine
{
    public static bool CanMove(OrderStatus from, OrderStatus to) => (from, to) switch
    {
        (OrderStatus.Pending, OrderStatus.AwaitingPayment) => true,
        (OrderStatus.Pending or OrderStatus.AwaitingPayment, OrderStatus.Paid) => true,
        (OrderStatus.Pending or OrderStatus.AwaitingPayment, OrderStatus.PaymentFailed) => true,
        (OrderStatus.Pending or OrderStatus.AwaitingPayment, OrderStatus.Expired) => true,
        (OrderStatus.Paid, OrderStatus.Fulfilled or OrderStatus.FulfillmentFailed) => true,
        // An operator replayed a failed fulfilment (Fulfillment's admin replay) and Wren accepted it.
        (OrderStatus.FulfillmentFailed, OrderStatus.Fulfilled) => true,
        // A full refund (charge.refunded) ends the order; nothing follows it. It may overtake the payment event
        // (that one failed and Stripe is still retrying it): the payment then never buys an offset.
        (OrderStatus.Pending or OrderStatus.AwaitingPayment or OrderStatus.Paid or OrderStatus.Fulfilled or OrderStatus.FulfillmentFailed,
            OrderStatus.Refunded) => true,
        _ => false,
    };
}
