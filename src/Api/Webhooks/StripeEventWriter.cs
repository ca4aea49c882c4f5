using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// Group commit: the single writer of Stripe events. Webhooks that arrive while a commit is being made
/// wait in a channel and are then recorded together in one transaction, one fsync (synchronous=FULL stays),
/// and each is answered only once the commit that holds it returned. SQLite has one writer anyway; sharing
/// the flush is what lets throughput follow the disk instead of one fsync per webhook.
/// A batch that fails is retried one event at a time, so one bad event fails alone.
/// On PostgreSQL each Api replica has its own writer: the transaction is repeatable read, so a batch that
/// changed an order another replica changed meanwhile fails with a serialization error and is run again
/// on the committed state, and the event id's primary key turns a second replica's copy into a duplicate.
/// </summary>
public sealed partial class StripeEventWriter(
    IServiceScopeFactory scopes,
    TimeProvider time,
    RecentStripeEvents recent,
    ILogger<StripeEventWriter> logger) : BackgroundService
{
    /// <summary>Bounds one transaction's work (and how long the first event in it waits for the last).</summary>
    public const int MaxBatch = 256;

    /// <summary>How often a transaction that lost a race with another replica is run again (PostgreSQL only).</summary>
    private const int MaxConcurrentAttempts = 5;

    private readonly Channel<PendingEvent> _pending = Channel.CreateUnbounded<PendingEvent>();

    /// <summary>Events queued and not yet taken into a transaction.</summary>
    public int Waiting => _pending.Reader.Count;

    /// <summary>The event's outcome, once the transaction that recorded it (or found it recorded) committed.</summary>
    public Task<string> WriteAsync(StripeWebhookEvent stripeEvent)
    {
        var pending = new PendingEvent(stripeEvent, Activity.Current,
            new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The Api is stopping and records no more Stripe events; Stripe retries the delivery.");
        }

        return pending.Committed.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Requests still in flight are answered: the loop drains what was queued before it ends.
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingEvent>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            await CommitAsync(batch);
            batch.Clear();
        }
    }

    private async Task CommitAsync(List<PendingEvent> batch)
    {
        try
        {
            Complete(batch, await WriteBatchWithRetriesAsync(batch));
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            LogBatchFailed(logger, batch.Count, ex);
        }
        catch (Exception ex)
        {
            await FailAsync(batch[0], ex);
            return;
        }

        foreach (var pending in batch)
        {
            try
            {
                Complete([pending], await WriteBatchWithRetriesAsync([pending]));
            }
            catch (Exception ex)
            {
                await FailAsync(pending, ex);
            }
        }
    }

    /// <summary>
    /// A serialization failure means another replica changed an order this batch read: the batch is decided
    /// again from the start, on that replica's committed changes. SQLite never reports one.
    /// </summary>
    private async Task<string[]> WriteBatchWithRetriesAsync(IReadOnlyList<PendingEvent> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await WriteBatchAsync(batch);
            }
            catch (Exception ex) when (DatabaseErrors.IsSerializationFailure(ex) && attempt < MaxConcurrentAttempts)
            {
                LogSerializationRetry(logger, batch.Count, attempt);
            }
        }
    }

    /// <summary>One transaction for the whole batch; an event already recorded, or twice in it, is applied once.</summary>
    private async Task<string[]> WriteBatchAsync(IReadOnlyList<PendingEvent> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        var processor = scope.ServiceProvider.GetRequiredService<StripeEventProcessor>();
        db.Database.AutoSavepointsEnabled = false; // the batch commits or rolls back as a whole
        var outcomes = new string[batch.Count];
        var now = time.GetUtcNow();
        // BEGIN IMMEDIATE on SQLite, repeatable read on PostgreSQL.
        await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
        // One query for the batch (on SQLite inside the write lock, so nothing records an event meanwhile;
        // on PostgreSQL another replica may, and the primary key catches it); an event seen earlier in the
        // batch counts as recorded.
        var ids = batch.Select(p => p.Event.EventId).Distinct().ToList();
        var recorded = (await db.StripeEvents.Where(e => ids.Contains(e.EventId)).Select(e => e.EventId).ToListAsync())
            .ToHashSet(StringComparer.Ordinal);
        await processor.LoadBatchAsync([.. batch.Where(p => !recorded.Contains(p.Event.EventId)).Select(p => p.Event)]);
        var writerActivity = Activity.Current;
        for (var i = 0; i < batch.Count; i++)
        {
            // Each event is recorded in its own request's trace, so the outbox row it writes carries that
            // trace on to RabbitMQ, Fulfillment and Wren (one trace from webhook to offset).
            Activity.Current = batch[i].Request;
            try
            {
                outcomes[i] = recorded.Add(batch[i].Event.EventId)
                    ? await processor.RecordAsync(batch[i].Event, now)
                    : WebhookOutcome.Duplicate;
            }
            finally
            {
                Activity.Current = writerActivity;
            }
        }

        await processor.SaveBatchAsync();
        await transaction.CommitAsync();
        processor.ReportCommitted();
        return outcomes;
    }

    private void Complete(IReadOnlyList<PendingEvent> batch, string[] outcomes)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            recent.Add(batch[i].Event.EventId);
            batch[i].Committed.TrySetResult(outcomes[i]);
        }
    }

    /// <summary>
    /// The event id's primary key is the backstop: if another writer (another process on the file, another
    /// replica on PostgreSQL) recorded the event first, the delivery is a duplicate, not a failure.
    /// </summary>
    private async Task FailAsync(PendingEvent pending, Exception failure)
    {
        if (DatabaseErrors.IsUniqueViolation(failure) || DatabaseErrors.IsSerializationFailure(failure))
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
            if (await db.StripeEvents.AnyAsync(e => e.EventId == pending.Event.EventId))
            {
                recent.Add(pending.Event.EventId);
                pending.Committed.TrySetResult(WebhookOutcome.Duplicate);
                return;
            }
        }

        pending.Committed.TrySetException(failure);
    }

    /// <param name="Request">The webhook request's activity: the trace the event's outbox row continues.</param>
    private sealed record PendingEvent(StripeWebhookEvent Event, Activity? Request, TaskCompletionSource<string> Committed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} Stripe events failed to commit; retrying them one by one")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "A transaction of {Count} Stripe event(s) met a concurrent change (attempt {Attempt}); deciding again")]
    private static partial void LogSerializationRetry(ILogger logger, int count, int attempt);
}
