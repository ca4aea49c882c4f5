using MassTransit;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Api.FulfillmentOutcomes;

/// <summary>
/// Fulfillment has recorded a refund and its fulfilment is final: the order stops resending <see cref="OrderRefunded"/>.
/// Every copy is answered (a resend is a new message), so a second acknowledgement changes nothing.
/// Recorded with the other outcomes being consumed at once, in one transaction (<see cref="GroupedInbox{TContext}"/>).
/// </summary>
public sealed partial class OrderRefundAcknowledgedConsumer(
    GroupedInbox<ApiDbContext> inbox, TimeProvider time, ILogger<OrderRefundAcknowledgedConsumer> logger)
    : IConsumer<OrderRefundAcknowledged>
{
    public Task Consume(ConsumeContext<OrderRefundAcknowledged> context) =>
        inbox.ProcessOnceAsync(context, nameof(OrderRefundAcknowledgedConsumer), async db =>
        {
            var message = context.Message;
            var order = await db.Orders.FindAsync([message.OrderId]);
            if (order is null)
            {
                LogUnknownOrder(logger, message.OrderId);
                return;
            }

            if (order.AcknowledgeRefund(time.GetUtcNow()))
            {
                LogAcknowledged(logger, message.OrderId, message.FulfillmentState, order.OrderRefundedResends);
            }
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "OrderRefundAcknowledged for unknown order {OrderId}")]
    private static partial void LogUnknownOrder(ILogger logger, Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fulfillment acknowledged the refund of order {OrderId}: its fulfilment is {FulfillmentState} (after {Resends} resend(s))")]
    private static partial void LogAcknowledged(ILogger logger, Guid orderId, string fulfillmentState, int resends);
}
