using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// Group commit: the single writer of Stripe events. Webhooks that arrive while a commit is being made
/// wait in a channel and are then recorded together in one transaction, one fsync (synchronous=FULL stays),
/// and each is answered only once the commit that holds it returned. SQLite has one writer anyway; sharing
/// the flush is what lets throughput follow the disk instead of one fsync per webhook.
/// A batch that fails is retried one event at a time, so one bad event fails alone (the mechanics are
/// <see cref="GroupCommitWriter{TChange, TResult}"/>'s, shared with the consumers' inbox and Fulfillment's outcome writer).
/// On PostgreSQL each Api replica has its own writer; the event id's primary key turns a second replica's copy
/// into a duplicate (the isolation story: docs/architecture.md, "Write transactions on SQLite and PostgreSQL").
/// </summary>
public sealed class StripeEventWriter(
    IServiceScopeFactory scopes,
    TimeProvider time,
    RecentStripeEvents recent,
    ApiMetrics metrics,
    OutboxMetrics outboxMetrics,
    ILogger<StripeEventBatch> batchLogger,
    ILogger<StripeEventWriter> logger)
    : DatabaseGroupCommitWriter<ApiDbContext, StripeEventWriter.PendingEvent, string>(scopes, logger, "Stripe events")
{
    /// <summary>
    /// A refund whose payment intent no order has yet is recorded for the Checkout event that will name it, and that
    /// event looks for such refunds: on two replicas at once each would find nothing and both commit (the order paid,
    /// the refund never applied) unless the transactions are serializable.
    /// </summary>
    protected override bool DecidesOnAbsentRows => true;

    /// <summary>The event's outcome, once the transaction that recorded it (or found it recorded) committed.</summary>
    public Task<string> WriteAsync(StripeWebhookEvent stripeEvent) =>
        WriteAsync(new PendingEvent(stripeEvent, Activity.Current),
            "The Api is stopping and records no more Stripe events; Stripe retries the delivery.");

    /// <summary>One transaction for the whole batch; an event already recorded, or twice in it, is applied once.</summary>
    protected override async Task<Applied> ApplyAsync(ApiDbContext db, IReadOnlyList<PendingEvent> batch)
    {
        var outcomes = new string[batch.Count];
        var now = time.GetUtcNow();
        // One query for the batch; an event seen earlier in the batch counts as recorded, and one another
        // replica records meanwhile is caught by the primary key (FindAppliedAsync).
        var ids = batch.Select(p => p.Event.EventId).Distinct().ToList();
        var recorded = (await db.StripeEvents.Where(e => ids.Contains(e.EventId)).Select(e => e.EventId).ToListAsync())
            .ToHashSet(StringComparer.Ordinal);
        var events = await StripeEventBatch.LoadAsync(db, [.. batch.Where(p => !recorded.Contains(p.Event.EventId)).Select(p => p.Event)],
            metrics, outboxMetrics, batchLogger);
        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            // Each event is recorded in its own request's trace, so the outbox row it writes carries that
            // trace on to RabbitMQ, Fulfillment and Wren (one trace from webhook to offset).
            outcomes[i] = recorded.Add(pending.Event.EventId)
                ? await CallerTrace.RunAsync(pending.Request, () => events.ApplyAsync(pending.Event, now))
                : WebhookOutcome.Duplicate;
        }

        await events.WriteRowsAsync();

        return new Applied(outcomes, () =>
        {
            events.AfterCommit();
            foreach (var pending in batch)
            {
                recent.Add(pending.Event.EventId);
            }
        });
    }

    /// <summary>
    /// The event id's primary key is the backstop: if another writer (another process on the file, another
    /// replica on PostgreSQL) recorded the event first, the delivery is a duplicate, not a failure.
    /// </summary>
    protected override async Task<string?> FindAppliedAsync(ApiDbContext db, PendingEvent pending)
    {
        if (!await db.StripeEvents.AnyAsync(e => e.EventId == pending.Event.EventId))
        {
            return null;
        }

        recent.Add(pending.Event.EventId);
        return WebhookOutcome.Duplicate;
    }

    /// <param name="Request">The webhook request's activity: the trace the event's outbox row continues.</param>
    public sealed record PendingEvent(StripeWebhookEvent Event, Activity? Request);
}
