using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>
/// Group commit of <see cref="PaymentCompleted"/> deliveries: the payments being consumed at once are recorded in
/// one transaction, each with its own inbox row (message id, <see cref="PaymentCompletedConsumer"/>), exactly as
/// one delivery at a time would: a message id seen before, or earlier in the same batch, changes nothing; a second
/// message for an order that has a fulfilment (committed, or scheduled earlier in the batch) schedules nothing and
/// republishes a recorded outcome. Each delivery is acknowledged only after the commit that holds it.
/// On PostgreSQL another replica may record the same message or order meanwhile: the inbox key or the order's
/// primary key then fails the batch; written again alone, a delivery whose inbox row another replica committed is
/// answered as already processed, and any other failure goes back to the consumer's retry policy.
/// </summary>
public sealed class PaymentScheduler(
    IServiceScopeFactory scopes,
    IOptions<FulfillmentOptions> options,
    TimeProvider time,
    ILogger<PaymentScheduler> logger)
    : GroupCommitWriter<PaymentScheduler.Delivery, PaymentScheduler.Result>(logger, "PaymentCompleted deliveries")
{
    /// <summary>The inbox's consumer name: unchanged from the one-delivery-per-transaction consumer, so its rows still count.</summary>
    public const string InboxConsumer = nameof(PaymentCompletedConsumer);

    /// <summary>Records the delivery; completes once its commit is durable.</summary>
    /// <param name="fromBacklog">It waited in the broker longer than <see cref="FulfillmentOptions.BacklogThreshold"/>.</param>
    public Task<Result> ScheduleAsync(Guid messageId, PaymentCompleted payment, bool fromBacklog = false) =>
        WriteAsync(new Delivery(messageId, payment, Activity.Current, fromBacklog),
            "Fulfillment is stopping and schedules no more payments; the message is delivered again.");

    protected override async Task<IReadOnlyList<Result>> WriteBatchAsync(IReadOnlyList<Delivery> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var now = time.GetUtcNow();
        await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
        var messageIds = batch.Select(d => d.MessageId).Distinct().ToList();
        var processed = (await db.InboxMessages.AsNoTracking()
                .Where(m => m.Consumer == InboxConsumer && messageIds.Contains(m.MessageId))
                .Select(m => m.MessageId)
                .ToListAsync())
            .ToHashSet();
        var orderIds = batch.Select(d => d.Payment.OrderId).Distinct().ToList();
        var known = await db.Fulfillments.AsNoTracking()
            .Where(f => orderIds.Contains(f.OrderId))
            .ToDictionaryAsync(f => f.OrderId);
        var scheduledHere = new HashSet<Guid>();
        var results = new Result[batch.Count];
        var writerActivity = Activity.Current;
        for (var i = 0; i < batch.Count; i++)
        {
            var delivery = batch[i];
            if (!processed.Add(delivery.MessageId))
            {
                results[i] = new Result(Processed: false, Scheduled: false, Known: null);
                continue;
            }

            db.InboxMessages.Add(new InboxMessage { MessageId = delivery.MessageId, Consumer = InboxConsumer, ProcessedAt = now });
            // The delivery's own trace: the fulfilment continues it up to Wren, a republished outcome carries it.
            Activity.Current = delivery.Consumer;
            try
            {
                var backlogGrace = delivery.FromBacklog ? options.Value.BacklogRefundGrace : (TimeSpan?)null;
                results[i] = Record(db, delivery.Payment, backlogGrace, known, scheduledHere, now);
            }
            finally
            {
                Activity.Current = writerActivity;
            }
        }

        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return results;
    }

    private static Result Record(FulfillmentDbContext db, PaymentCompleted payment, TimeSpan? backlogGrace, Dictionary<Guid, OffsetFulfillment> known,
        HashSet<Guid> scheduledHere, DateTimeOffset now)
    {
        if (known.TryGetValue(payment.OrderId, out var existing))
        {
            // Answer again, never buy again: a recorded outcome is published once more (it may have been lost).
            existing.EnqueueOutcome(db, now);

            return new Result(Processed: true, Scheduled: false, Known: existing.State);
        }

        if (!scheduledHere.Add(payment.OrderId))
        {
            // Scheduled earlier in this batch by another message for the order.
            return new Result(Processed: true, Scheduled: false, Known: FulfillmentState.Scheduled);
        }

        var activity = Activity.Current;
        var traceParent = activity?.IdFormat == ActivityIdFormat.W3C ? activity.Id : null;
        db.Fulfillments.Add(OffsetFulfillment.Schedule(payment, now, traceParent, activity?.TraceStateString, backlogGrace));
        return new Result(Processed: true, Scheduled: true, Known: null);
    }

    /// <summary>The primary key is the backstop: another replica committed this delivery's inbox row first.</summary>
    protected override async Task<Result?> RecoverAsync(Delivery delivery, Exception failure)
    {
        if (!DatabaseErrors.IsUniqueViolation(failure) && !DatabaseErrors.IsSerializationFailure(failure))
        {
            return null;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        return await db.InboxMessages.AnyAsync(m => m.MessageId == delivery.MessageId && m.Consumer == InboxConsumer)
            ? new Result(Processed: false, Scheduled: false, Known: null)
            : null;
    }

    /// <param name="Consumer">The consumer's activity: the trace the fulfilment and any republished outcome continue.</param>
    /// <param name="FromBacklog">It waited in the broker long enough that its refund may be queued beside it.</param>
    public sealed record Delivery(Guid MessageId, PaymentCompleted Payment, Activity? Consumer, bool FromBacklog);

    /// <param name="Processed">False when the message had already been processed (a redelivery or a copy).</param>
    /// <param name="Scheduled">A fulfilment was scheduled for it.</param>
    /// <param name="Known">The state of the fulfilment the order already had.</param>
    public sealed record Result(bool Processed, bool Scheduled, FulfillmentState? Known);
}
