using MassTransit;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;

namespace PuffinOffset.Fulfillment.Refunds;

/// <summary>
/// Stripe refunded an order's payment: a fulfilment not yet attempted is cancelled, one under way records the
/// refund so that no further POST is sent. A refund that overtakes its <see cref="PaymentCompleted"/> is kept as
/// an already cancelled fulfilment, so the payment that follows schedules nothing.
/// Once the fulfilment is final, the refund is answered with <see cref="OrderRefundAcknowledged"/> in the same
/// transaction; the Api resends <see cref="OrderRefunded"/> until that answer arrives, so every copy is answered
/// again. A Placed fulfilment also publishes its outcome again: bought while the refund was on its way, its
/// <see cref="OffsetOrderPlaced"/> may have been lost, and the Api then never learns that money and offset disagree.
/// </summary>
public sealed partial class OrderRefundedConsumer(
    GroupedInbox<FulfillmentDbContext> inbox,
    TimeProvider time,
    ILogger<OrderRefundedConsumer> logger) : IConsumer<OrderRefunded>
{
    public Task Consume(ConsumeContext<OrderRefunded> context) =>
        inbox.ProcessOnceAsync(context, nameof(OrderRefundedConsumer), async db =>
        {
            var refund = context.Message;
            var now = time.GetUtcNow();
            // Inside the inbox's write transaction: the worker's claim of an attempt commits before or after
            // this, never in between (FulfillmentProcessor.ClaimAttemptAsync).
            var fulfillment = await db.Fulfillments.FindAsync(refund.OrderId);
            if (fulfillment is null)
            {
                fulfillment = OffsetFulfillment.CancelledBeforePayment(refund, now);
                db.Fulfillments.Add(fulfillment);
                LogCancelledBeforePayment(refund.OrderId);
            }
            else if (fulfillment.State == FulfillmentState.Cancelled)
            {
                LogAlreadyCancelled(refund.OrderId);
            }
            else if (fulfillment.RecordRefund(refund.RefundedAt, now))
            {
                LogCancelled(refund.OrderId);
            }
            else
            {
                LogNotCancelled(refund.OrderId, fulfillment.State, fulfillment.WrenOrderId);
            }

            if (fulfillment.ToRefundAcknowledgement(now) is not { } acknowledgement)
            {
                LogAnswerLater(refund.OrderId, fulfillment.State);
                return;
            }

            db.Enqueue(acknowledgement, now);
            if (fulfillment.State == FulfillmentState.Placed)
            {
                fulfillment.EnqueueOutcome(db, now);
            }
        });

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} was refunded before its payment reached Fulfillment: its offset will not be bought")]
    private partial void LogCancelledBeforePayment(Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} was refunded: its offset purchase is cancelled before any attempt")]
    private partial void LogCancelled(Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refund of order {OrderId} announced again: its purchase is already cancelled, the refund is acknowledged again")]
    private partial void LogAlreadyCancelled(Guid orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} was refunded while its fulfilment is {State} (Wren order {WrenOrderId}): no further attempt is made, an offset already bought stays")]
    private partial void LogNotCancelled(Guid orderId, FulfillmentState state, string? wrenOrderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refund of order {OrderId} recorded while its fulfilment is {State}: it is acknowledged once the attempt's outcome is known (the Api asks again)")]
    private partial void LogAnswerLater(Guid orderId, FulfillmentState state);
}
