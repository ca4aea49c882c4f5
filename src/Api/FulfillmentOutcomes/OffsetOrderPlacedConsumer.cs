using MassTransit;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Api.FulfillmentOutcomes;

/// <summary>
/// Wren accepted the offset order: the order becomes <c>fulfilled</c>, once per message. When Fulfillment
/// found more than one Wren order for it (a duplicate purchase), or placed a dry run for a live-mode payment,
/// the order is flagged for an operator.
/// Recorded with the other outcomes being consumed at once, in one transaction (<see cref="GroupedInbox{TContext}"/>).
/// </summary>
public sealed partial class OffsetOrderPlacedConsumer(
    GroupedInbox<ApiDbContext> inbox,
    ApiMetrics metrics,
    TimeProvider time,
    ILogger<OffsetOrderPlacedConsumer> logger)
    : IConsumer<OffsetOrderPlaced>
{
    public async Task Consume(ConsumeContext<OffsetOrderPlaced> context)
    {
        var livePaidDryRun = false;
        if (await inbox.ProcessOnceAsync(context, nameof(OffsetOrderPlacedConsumer), async db =>
            {
                // Set afresh on each run: a failed batch is run again one message at a time.
                livePaidDryRun = await ApplyAsync(db, context.Message);
            }) && livePaidDryRun)
        {
            // Counted only once the transaction that raised the attention committed.
            metrics.LivePaidDryRun();
        }
    }

    /// <returns>True when a live payment was just found fulfilled by a dry run.</returns>
    private async Task<bool> ApplyAsync(ApiDbContext db, OffsetOrderPlaced message)
    {
        var order = await db.Orders.FindAsync([message.OrderId]);
        if (order is null)
        {
            LogUnknownOrder(logger, message.OrderId);
            return false;
        }

        var now = time.GetUtcNow();
        // Any outcome answers a pending replay request: its resend stops.
        order.RecordOutcomeReceived();
        if (message.DuplicateWrenOrderIds is { Count: > 0 } duplicates)
        {
            // Paid for twice at Wren: someone must refund the extras. RequireAttention ignores a repeat.
            var ids = new[] { message.WrenOrderId }.OfType<string>().Concat(duplicates).ToList();
            order.RequireAttention(OrderAttention.DuplicateWrenOrders(ids), now);
            LogDuplicates(logger, message.OrderId, string.Join(", ", ids));
        }

        if (order.TryMarkFulfilled(message.WrenOrderId, message.DryRun, now))
        {
            if (!order.FlagLivePaymentFulfilledByDryRun(message.DryRun, now))
            {
                return false;
            }

            LogLivePaidDryRun(logger, message.OrderId);
            return true;
        }

        // The refund raced the Wren POST: the offset exists and the money is gone.
        if (order.RecordOffsetAfterRefund(message.WrenOrderId, message.DryRun, now))
        {
            LogPlacedAfterRefund(logger, message.OrderId, message.WrenOrderId);
            return false;
        }

        LogRefused(logger, message.OrderId, order.Status);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Order {OrderId} was paid in live mode but Fulfillment placed it as a dry run: no offset was bought for real money; flagged for an operator")]
    private static partial void LogLivePaidDryRun(ILogger logger, Guid orderId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Order {OrderId} has several Wren orders ({WrenOrderIds}): flagged for an operator to refund the extras")]
    private static partial void LogDuplicates(ILogger logger, Guid orderId, string wrenOrderIds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderPlaced for unknown order {OrderId}")]
    private static partial void LogUnknownOrder(ILogger logger, Guid orderId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Offset {WrenOrderId} was bought for order {OrderId}, whose payment was refunded: an operator must decide")]
    private static partial void LogPlacedAfterRefund(ILogger logger, Guid orderId, string? wrenOrderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderPlaced for order {OrderId} ignored: it is {Status}")]
    private static partial void LogRefused(ILogger logger, Guid orderId, OrderStatus status);
}
