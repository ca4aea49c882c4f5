using MassTransit;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Api.Fulfillment;

/// <summary>Wren accepted the offset order: the order becomes <c>fulfilled</c>, once per message.</summary>
public sealed partial class OffsetOrderPlacedConsumer(ApiDbContext db, TimeProvider time, ILogger<OffsetOrderPlacedConsumer> logger)
    : IConsumer<OffsetOrderPlaced>
{
    public Task Consume(ConsumeContext<OffsetOrderPlaced> context) =>
        db.ProcessOnceAsync(context, nameof(OffsetOrderPlacedConsumer), time, async cancellationToken =>
        {
            var message = context.Message;
            var order = await db.Orders.FindAsync([message.OrderId], cancellationToken);
            if (order is null)
            {
                LogUnknownOrder(logger, message.OrderId);
                return;
            }

            var now = time.GetUtcNow();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderPlaced for unknown order {OrderId}")]
    private static partial void LogUnknownOrder(ILogger logger, Guid orderId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Offset {WrenOrderId} was bought for order {OrderId}, whose payment was refunded: an operator must decide")]
    private static partial void LogPlacedAfterRefund(ILogger logger, Guid orderId, string? wrenOrderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "OffsetOrderPlaced for order {OrderId} ignored: it is {Status}")]
    private static partial void LogRefused(ILogger logger, Guid orderId, Orders.OrderStatus status);
}

public sealed class OffsetOrderPlacedConsumerDefinition : ConsumerDefinition<OffsetOrderPlacedConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OffsetOrderPlacedConsumer> consumerConfigurator, IRegistrationContext context) =>
        // SQLite busy or a transient error: retry in-process; when spent, the message goes to _error.
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 2_000, 5_000, 15_000));
}
