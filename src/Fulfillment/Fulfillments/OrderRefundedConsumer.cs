using MassTransit;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>
/// Stripe refunded an order's payment: a fulfilment not yet attempted is cancelled, one under way records the
/// refund so that no further POST is sent. A refund that overtakes its <see cref="PaymentCompleted"/> is kept as
/// an already cancelled fulfilment, so the payment that follows schedules nothing.
/// </summary>
public sealed partial class OrderRefundedConsumer(
    FulfillmentDbContext db,
    TimeProvider time,
    ILogger<OrderRefundedConsumer> logger) : IConsumer<OrderRefunded>
{
    public Task Consume(ConsumeContext<OrderRefunded> context) =>
        db.ProcessOnceAsync(context, nameof(OrderRefundedConsumer), time, async cancellationToken =>
        {
            var refund = context.Message;
            var now = time.GetUtcNow();
            // Inside the inbox's write transaction: the worker's claim of an attempt commits before or after
            // this, never in between (FulfillmentProcessor.ClaimAttemptAsync).
            var fulfillment = await db.Fulfillments.FindAsync([refund.OrderId], cancellationToken);
            if (fulfillment is null)
            {
                db.Fulfillments.Add(OffsetFulfillment.CancelledBeforePayment(refund, now));
                LogCancelledBeforePayment(refund.OrderId);
            }
            else if (fulfillment.RecordRefund(refund.RefundedAt, now))
            {
                LogCancelled(refund.OrderId);
            }
            else
            {
                LogNotCancelled(refund.OrderId, fulfillment.State, fulfillment.WrenOrderId);
            }
        });

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} was refunded before its payment reached Fulfillment: its offset will not be bought")]
    private partial void LogCancelledBeforePayment(Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} was refunded: its offset purchase is cancelled before any attempt")]
    private partial void LogCancelled(Guid orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} was refunded while its fulfilment is {State} (Wren order {WrenOrderId}): no further attempt is made, an offset already bought stays")]
    private partial void LogNotCancelled(Guid orderId, FulfillmentState state, string? wrenOrderId);
}
