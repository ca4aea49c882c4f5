using MassTransit;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Api.FulfillmentOutcomes;

/// <summary>
/// Wren refused for good or retries were spent: the order becomes <c>fulfillment_failed</c> for an operator.
/// Recorded with the other outcomes being consumed at once, in one transaction (<see cref="GroupedInbox{TContext}"/>).
/// </summary>
public sealed partial class OffsetOrderFailedConsumer(GroupedInbox<ApiDbContext> inbox, TimeProvider time, ILogger<OffsetOrderFailedConsumer> logger)
    : IConsumer<OffsetOrderFailed>
{
    public Task Consume(ConsumeContext<OffsetOrderFailed> context) =>
        inbox.ProcessOnceAsync(context, nameof(OffsetOrderFailedConsumer), async db =>
        {
            var message = context.Message;
            var order = await db.Orders.FindAsync([message.OrderId]);
            if (order is null)
            {
                LogUnknownOrder(logger, message.OrderId);
                return;
            }

            // The answer to a pending replay request too (the replay failed again): no more resends of it.
            order.RecordOutcomeReceived();
            if (order.TryMoveTo(OrderStatus.FulfillmentFailed, time.GetUtcNow()))
            {
                LogFailed(logger, message.OrderId, message.Attempts, message.Reason);
            }
            else
            {
                LogRefused(logger, message.OrderId, order.Status);
            }
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderFailed for unknown order {OrderId}")]
    private static partial void LogUnknownOrder(ILogger logger, Guid orderId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Order {OrderId} could not be fulfilled after {Attempts} attempts: {Reason}")]
    private static partial void LogFailed(ILogger logger, Guid orderId, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderFailed for order {OrderId} ignored: it is {Status}")]
    private static partial void LogRefused(ILogger logger, Guid orderId, OrderStatus status);
}
