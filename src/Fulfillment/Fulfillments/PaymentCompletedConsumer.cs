using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>
/// Records that a paid order needs its offset. It never calls Wren: the inbox row and the scheduled
/// fulfilment commit together, then the worker is woken to do the (slow, uncertain) Wren call.
/// A payment announced again (the Api resends it while it has heard no outcome) never buys again: a
/// Placed or Failed fulfilment publishes its recorded outcome once more, in the same transaction as the
/// inbox row (the first outcome message may have been lost or dead-lettered); a Scheduled or Attempting one
/// will publish its outcome when it has one, so nothing is added.
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
        FulfillmentState? known = null;
        var processed = await db.ProcessOnceAsync(context, nameof(PaymentCompletedConsumer), time, async cancellationToken =>
        {
            // Checked inside the inbox's write transaction: a second message for the same order waits
            // for the first to commit and then sees its fulfilment. The primary key is the backstop.
            if (await db.Fulfillments.AsNoTracking().SingleOrDefaultAsync(f => f.OrderId == payment.OrderId, cancellationToken) is { } existing)
            {
                known = existing.State;
                RepublishOutcome(existing);
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
        else if (processed && known is FulfillmentState.Placed or FulfillmentState.Failed)
        {
            LogOutcomeRepublished(payment.OrderId, known.Value, context.MessageId);
        }
        else
        {
            LogAlreadyKnown(payment.OrderId, context.MessageId, processed);
        }
    }

    private void RepublishOutcome(OffsetFulfillment fulfillment)
    {
        switch (fulfillment.State)
        {
            case FulfillmentState.Placed:
                db.Enqueue(fulfillment.ToPlacedMessage(), time.GetUtcNow());
                break;
            case FulfillmentState.Failed:
                db.Enqueue(fulfillment.ToFailedMessage(), time.GetUtcNow());
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset for order {OrderId} scheduled: portfolio {PortfolioId}, {Tons} t")]
    private partial void LogScheduled(Guid orderId, int portfolioId, decimal tons);

    [LoggerMessage(Level = LogLevel.Information, Message = "PaymentCompleted for order {OrderId} announced again (message {MessageId}): its recorded outcome, {State}, is published again; nothing is bought")]
    private partial void LogOutcomeRepublished(Guid orderId, FulfillmentState state, Guid? messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "PaymentCompleted for order {OrderId} ignored (message {MessageId}, first delivery {FirstDelivery}): its offset is already scheduled")]
    private partial void LogAlreadyKnown(Guid orderId, Guid? messageId, bool firstDelivery);
}
