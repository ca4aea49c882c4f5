using MassTransit;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Fulfillment.Payments;

/// <summary>
/// Records that a paid order needs its offset. It never calls Wren: the inbox row and the scheduled
/// fulfilment commit together (grouped with the other messages being consumed at once, the batch's orders read once:
/// <see cref="PaymentBatch"/>), then the worker is woken to do the (slow, uncertain) Wren call.
/// A payment announced again (the Api resends it while it has heard no outcome) never buys again: a
/// Placed or Failed fulfilment publishes its recorded outcome once more, in the same transaction as the
/// inbox row (the first outcome message may have been lost or dead-lettered); a Scheduled or Attempting one
/// will publish its outcome when it has one, so nothing is added.
/// </summary>
public sealed partial class PaymentCompletedConsumer(
    GroupedInbox<FulfillmentDbContext> inbox,
    FulfillmentSignal signal,
    FulfillmentTelemetry telemetry,
    IOptions<FulfillmentOptions> options,
    TimeProvider time,
    ILogger<PaymentCompletedConsumer> logger) : IConsumer<PaymentCompleted>
{
    public async Task Consume(ConsumeContext<PaymentCompleted> context)
    {
        var payment = context.Message;
        // How long it waited in the broker (the Api's outbox stamps the publish): long enough, and its refund may be
        // waiting on the other queue too. The payment time is the bound when the sent time is missing.
        var sentAt = context.SentTime is { } sent ? new DateTimeOffset(DateTime.SpecifyKind(sent, DateTimeKind.Utc)) : payment.PaidAt;
        var fromBacklog = time.GetUtcNow() - sentAt > options.Value.BacklogThreshold;
        var backlogGrace = fromBacklog ? options.Value.BacklogRefundGrace : (TimeSpan?)null;
        PaymentRecorded? recorded = null;
        var processed = await inbox.ProcessOnceAsync<PaymentBatch>(context, nameof(PaymentCompletedConsumer), (db, batch) =>
        {
            recorded = batch.Record(db, payment, backlogGrace, time.GetUtcNow());
            return Task.CompletedTask;
        });

        if (processed && recorded is { Scheduled: true })
        {
            LogScheduled(payment.OrderId, payment.PortfolioId, payment.Tons, fromBacklog);
            if (recorded.LooksUpFirst)
            {
                telemetry.LookupAfterRestore();
                LogLooksUpAfterRestore(payment.OrderId, payment.PaidAt);
            }

            signal.Notify();
        }
        else if (processed && recorded is { Known: FulfillmentState.Placed or FulfillmentState.Failed })
        {
            LogOutcomeRepublished(payment.OrderId, recorded.Known.Value, context.MessageId);
        }
        else
        {
            LogAlreadyKnown(payment.OrderId, context.MessageId, processed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset for order {OrderId} scheduled: portfolio {PortfolioId}, {Tons} t (from a backlog, so after the refunds: {FromBacklog})")]
    private partial void LogScheduled(Guid orderId, int portfolioId, decimal tons, bool fromBacklog);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offset for order {OrderId} (paid at {PaidAt}) predates the restore of this database: its note is looked up at Wren before any POST")]
    private partial void LogLooksUpAfterRestore(Guid orderId, DateTimeOffset paidAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "PaymentCompleted for order {OrderId} announced again (message {MessageId}): its recorded outcome, {State}, is published again; nothing is bought")]
    private partial void LogOutcomeRepublished(Guid orderId, FulfillmentState state, Guid? messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "PaymentCompleted for order {OrderId} ignored (message {MessageId}, first delivery {FirstDelivery}): its offset is already scheduled")]
    private partial void LogAlreadyKnown(Guid orderId, Guid? messageId, bool firstDelivery);
}
