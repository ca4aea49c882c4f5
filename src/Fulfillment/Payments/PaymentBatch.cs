using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Restore;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Fulfillment.Payments;

/// <summary>
/// The <see cref="PaymentCompleted"/> deliveries of one inbox batch: their orders' fulfilments are read in one query
/// (tracked, so that a refund or replay in the same batch sees the same row), and each payment is recorded exactly as one
/// delivery at a time would record it: a second message for an order that has a fulfilment (committed, or scheduled or
/// cancelled earlier in the batch) schedules nothing and republishes a recorded outcome.
/// </summary>
public sealed class PaymentBatch : IInboxBatch<FulfillmentDbContext>
{
    private DateTimeOffset? _restoredAt;

    public async Task LoadAsync(FulfillmentDbContext db, IReadOnlyList<ConsumeContext> deliveries)
    {
        var orderIds = deliveries.Select(d => d.TryGetMessage<PaymentCompleted>(out var payment) ? payment.Message.OrderId : (Guid?)null)
            .OfType<Guid>().Distinct().ToList();
        await db.Fulfillments.Where(f => orderIds.Contains(f.OrderId)).LoadAsync();
        _restoredAt = await RestoredCommand.LatestRestoreAsync(db);
    }

    /// <param name="backlogGrace">Set when the payment was consumed from a backlog: the least wait before its first attempt.</param>
    public PaymentRecorded Record(FulfillmentDbContext db, PaymentCompleted payment, TimeSpan? backlogGrace, DateTimeOffset now)
    {
        // Loaded with the batch, or added earlier in it: the identity map answers without a query.
        if (db.Fulfillments.Local.FindEntry(payment.OrderId)?.Entity is { } existing)
        {
            // Answer again, never buy again: a recorded outcome is published once more (it may have been lost).
            existing.EnqueueOutcome(db, now);
            return new PaymentRecorded(Scheduled: false, Known: existing.State);
        }

        // Not in a database restored from a backup, yet perhaps bought by the one the restore replaced.
        var lookUpFirst = _restoredAt is { } restoredAt && RestorePoint.OrderPredates(payment.OrderId, payment.PaidAt, restoredAt);
        var activity = Activity.Current;
        var traceParent = activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : null;
        db.Fulfillments.Add(OffsetFulfillment.Schedule(payment, now, traceParent, activity?.TraceStateString, backlogGrace, lookUpFirst));
        return new PaymentRecorded(Scheduled: true, Known: null, LooksUpFirst: lookUpFirst);
    }
}

/// <param name="Scheduled">A fulfilment was scheduled for it.</param>
/// <param name="Known">The state of the fulfilment the order already had.</param>
/// <param name="LooksUpFirst">Scheduled to look its note up at Wren before its first POST: the order predates a restore.</param>
public sealed record PaymentRecorded(bool Scheduled, FulfillmentState? Known, bool LooksUpFirst = false);
