using MassTransit;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Fulfillment.Replays;

/// <summary>
/// An operator asked (through the Api's admin endpoints) to try a failed fulfilment again. The replay only
/// reschedules it; the worker then looks the order up at Wren by its note before any new POST. A fulfilment
/// that was in fact placed answers with its outcome again, since the Api evidently missed it. The Api resends a
/// request (same <see cref="FulfillmentReplayRequested.RequestId"/>, new message id) until an outcome reaches it: a
/// fulfilment that this request already replayed and that failed again answers with that failure, and is not
/// replayed a second time.
/// </summary>
public sealed partial class FulfillmentReplayRequestedConsumer(
    GroupedInbox<FulfillmentDbContext> inbox,
    TimeProvider time,
    FulfillmentSignal signal,
    ILogger<FulfillmentReplayRequestedConsumer> logger) : IConsumer<FulfillmentReplayRequested>
{
    public async Task Consume(ConsumeContext<FulfillmentReplayRequested> context)
    {
        var request = context.Message;
        FulfillmentState? state = null;
        var answeredAgain = false;
        await inbox.ProcessOnceAsync(context, nameof(FulfillmentReplayRequestedConsumer), async db =>
        {
            var fulfillment = await db.Fulfillments.FindAsync(request.OrderId);
            state = fulfillment?.State;
            answeredAgain = false;
            if (fulfillment is { State: FulfillmentState.Failed } && !fulfillment.HasReplayed(request.RequestId))
            {
                fulfillment.Replay(time.GetUtcNow(), request.RequestId);
            }
            else
            {
                // Placed, or failed again after this very request: its outcome is answered again.
                answeredAgain = fulfillment?.EnqueueOutcome(db, time.GetUtcNow()) ?? false;
            }
        });

        switch (state)
        {
            case FulfillmentState.Failed when answeredAgain:
                LogFailedAgain(request.OrderId);
                break;
            case FulfillmentState.Failed:
                LogReplayed(request.OrderId, request.RequestedBy);
                signal.Notify();
                break;
            case FulfillmentState.Placed:
                LogAlreadyPlaced(request.OrderId);
                break;
            case null:
                LogUnknown(request.OrderId);
                break;
            default:
                LogNotFailed(request.OrderId, state.Value);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fulfilment of order {OrderId} replayed at the request of {RequestedBy}: Wren is looked up before any new order")]
    private partial void LogReplayed(Guid orderId, string requestedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay of order {OrderId} asked again: that replay already failed, and its failure is published again")]
    private partial void LogFailedAgain(Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay of order {OrderId} asked, but its offset is already placed: its outcome is published again")]
    private partial void LogAlreadyPlaced(Guid orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replay of order {OrderId} asked, but Fulfillment has no fulfilment for it (its PaymentCompleted never arrived)")]
    private partial void LogUnknown(Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replay of order {OrderId} ignored: its fulfilment is {State}, not failed")]
    private partial void LogNotFailed(Guid orderId, FulfillmentState state);
}
