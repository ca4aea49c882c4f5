using MassTransit;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Api.FulfillmentOutcomes;

/// <summary>
/// Wren accepted the offset order: the order becomes <c>fulfilled</c>, once per message. When Fulfillment
/// found more than one Wren order for it (a duplicate purchase), the order is flagged for an operator.
/// Recorded with the other outcomes being consumed at once, in one transaction (<see cref="GroupedInbox{TContext}"/>).
/// </summary>
public sealed partial class OffsetOrderPlacedConsumer(GroupedInbox<ApiDbContext> inbox, TimeProvider time, ILogger<OffsetOrderPlacedConsumer> logger)
    : IConsumer<OffsetOrderPlaced>
{
    public Task Consume(ConsumeContext<OffsetOrderPlaced> context) =>
        inbox.ProcessOnceAsync(context, nameof(OffsetOrderPlacedConsumer), async db =>
        {
            var message = context.Message;
            var order = await db.Orders.FindAsync([message.OrderId]);
            if (order is null)
            {
                LogUnknownOrder(logger, message.OrderId);
                return;
            }

            var now = time.GetUtcNow();
            order.RecordOutcomeReceived();
            if (message.DuplicateWrenOrderIds is { Count: > 0 } duplicates)
            {
                // Paid for twice at Wren: someone must refund the extras. RequireAttention ignores a repeat.
                var ids = string.Join(", ", new[] { message.WrenOrderId }.OfType<string>().Concat(duplicates));
                order.RequireAttention($"two Wren orders for one paid order: {ids}", now);
                LogDuplicates(logger, message.OrderId, ids);
            }

            if (order.TryMarkFulfilled(message.WrenOrderId, message.DryRun, now))
            {
                return;
            }

            // The refund raced the Wren POST: the offset exists and the money is gone.
            if (order.RecordOffsetAfterRefund(message.WrenOrderId, message.DryRun, now))
            {
                LogPlacedAfterRefund(logger, message.OrderId, message.WrenOrderId);
                return;
            }

            LogRefused(logger, message.OrderId, order.Status);
        });

    [LoggerMessage(Level = LogLevel.Error, Message = "Order {OrderId} has several Wren orders ({WrenOrderIds}): flagged for an operator to refund the extras")]
    private static partial void LogDuplicates(ILogger logger, Guid orderId, string wrenOrderIds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderPlaced for unknown order {OrderId}")]
    private static partial void LogUnknownOrder(ILogger logger, Guid orderId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Offset {WrenOrderId} was bought for order {OrderId}, whose payment was refunded: an operator must decide")]
    private static partial void LogPlacedAfterRefund(ILogger logger, Guid orderId, string? wrenOrderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderPlaced for order {OrderId} ignored: it is {Status}")]
    private static partial void LogRefused(ILogger logger, Guid orderId, Orders.OrderStatus status);
}
