using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>
/// Records that a paid order needs its offset. It never calls Wren: the inbox row and the scheduled
/// fulfilment commit together, then the worker is woken to do the (slow, uncertain) Wren call.
/// </summary>
public sealed partial class PaymentCompletedConsumer(
    FulfillmentDbContext db,
    TimeProvider time,
    FulfillmentSignal signal,
    ILogger<PaymentCompletedConsumer> logger) : IConsumer<PaymentCompleted>
{
    public async Task Consume(ConsumeContext<PaymentCompleted> context)
    {
        var payment = context.Message;
        var scheduled = false;
        var processed = await db.ProcessOnceAsync(context, nameof(PaymentCompletedConsumer), time, async cancellationToken =>
        {
            // Checked inside the inbox's write transaction: a second message for the same order waits
            // for the first to commit and then sees its fulfilment. The primary key is the backstop.
            if (await db.Fulfillments.AnyAsync(f => f.OrderId == payment.OrderId, cancellationToken))
            {
                return;
            }

            var activity = Activity.Current;
            var traceParent = activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : null;
            db.Fulfillments.Add(OffsetFulfillment.Schedule(payment, time.GetUtcNow(), traceParent, activity?.TraceStateString));
            scheduled = true;
        });

        if (scheduled)
        {
            LogScheduled(payment.OrderId, payment.PortfolioId, payment.Tons);
            signal.Notify();
        }
        else
        {
            LogAlreadyKnown(payment.OrderId, context.MessageId, processed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset for order {OrderId} scheduled: portfolio {PortfolioId}, {Tons} t")]
    private partial void LogScheduled(Guid orderId, int portfolioId, decimal tons);

    [LoggerMessage(Level = LogLevel.Information, Message = "PaymentCompleted for order {OrderId} ignored (message {MessageId}, first delivery {FirstDelivery}): its offset is already scheduled")]
    private partial void LogAlreadyKnown(Guid orderId, Guid? messageId, bool firstDelivery);
}
