using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>
/// Group commit of fulfilment outcomes (Placed, Failed, a retry scheduled; each with its outbox message and the
/// lease handed back). Outcomes of concurrent Wren calls that arrive while a commit is being made wait in a
/// channel and are then committed together in one transaction, one fsync; each processor awaits the commit that
/// holds its outcome and only then logs and counts it. A batch that fails is retried one outcome at a time, so
/// one bad outcome (a lost lease: another replica took the fulfilment, its version moved on) fails alone with
/// <see cref="DbUpdateConcurrencyException"/>, as a single save did before.
/// Every update writes only the columns the outcome changed and checks the version the processor last saw, so a
/// refund recorded meanwhile (which leaves the version alone) is kept. On PostgreSQL the transaction is
/// repeatable read: a serialization failure (a refund committed on a row of the batch) runs the batch again.
/// </summary>
public sealed partial class FulfillmentOutcomeWriter(
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<FulfillmentOutcomeWriter> logger) : BackgroundService
{
    /// <summary>At most one outcome per order in progress, and at most this many orders are in progress.</summary>
    public const int MaxBatch = FulfillmentOptions.MaxConcurrencyLimit;

    /// <summary>How often a batch that met a concurrent change is run again (PostgreSQL only).</summary>
    private const int MaxConcurrentAttempts = 5;

    private readonly Channel<PendingOutcome> _pending = Channel.CreateUnbounded<PendingOutcome>();

    /// <summary>Outcomes queued and not yet taken into a transaction.</summary>
    public int Waiting => _pending.Reader.Count;

    /// <summary>
    /// Commits the changes the processor made to <paramref name="fulfillment"/> since it was last committed at
    /// <paramref name="committedVersion"/> (<paramref name="changed"/>: the properties it changed), with the
    /// outcome's message when it is final. Completes once that commit is durable.
    /// </summary>
    public Task CommitAsync(OffsetFulfillment fulfillment, int committedVersion, IReadOnlyCollection<string> changed)
    {
        var pending = new PendingOutcome(fulfillment, committedVersion, changed, Activity.Current,
            new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("Fulfillment is stopping and records no more outcomes; the fulfilment stays Attempting and is looked up later.");
        }

        return pending.Committed.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Registered before the worker, so it stops after it: the outcomes of the steps that ended are in.
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingOutcome>(MaxBatch);
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

    private async Task CommitAsync(List<PendingOutcome> batch)
    {
        try
        {
            await WriteWithRetriesAsync(batch);
            Complete(batch);
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            LogBatchFailed(batch.Count, ex);
        }
        catch (Exception ex)
        {
            batch[0].Committed.TrySetException(ex);
            return;
        }

        foreach (var pending in batch)
        {
            try
            {
                await WriteWithRetriesAsync([pending]);
                Complete([pending]);
            }
            catch (Exception ex)
            {
                pending.Committed.TrySetException(ex);
            }
        }
    }

    /// <summary>A serialization failure means a concurrent change of a row in the batch: the batch is written again on it.</summary>
    private async Task WriteWithRetriesAsync(IReadOnlyList<PendingOutcome> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch);
                return;
            }
            catch (Exception ex) when (DatabaseErrors.IsSerializationFailure(ex) && attempt < MaxConcurrentAttempts)
            {
                LogSerializationRetry(batch.Count, attempt);
            }
        }
    }

    private async Task WriteAsync(IReadOnlyList<PendingOutcome> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var now = time.GetUtcNow();
        var writerActivity = Activity.Current;
        foreach (var pending in batch)
        {
            var entry = db.Attach(pending.Fulfillment);
            foreach (var property in entry.Properties)
            {
                property.IsModified = pending.Changed.Contains(property.Metadata.Name);
            }

            // The concurrency check: the row is still as this replica last committed it (its lease included).
            entry.Property(f => f.Version).OriginalValue = pending.CommittedVersion;

            // The outcome's message carries the trace of the order's own step, not the writer's.
            Activity.Current = pending.Step;
            try
            {
                EnqueueOutcomeMessage(db, pending.Fulfillment, now);
            }
            finally
            {
                Activity.Current = writerActivity;
            }
        }

        // BEGIN IMMEDIATE on SQLite, repeatable read on PostgreSQL.
        await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
    }

    /// <summary>The final state and its message commit together.</summary>
    private static void EnqueueOutcomeMessage(FulfillmentDbContext db, OffsetFulfillment fulfillment, DateTimeOffset now)
    {
        switch (fulfillment.State)
        {
            case FulfillmentState.Placed:
                db.Enqueue(fulfillment.ToPlacedMessage(), now);
                break;
            case FulfillmentState.Failed:
                db.Enqueue(fulfillment.ToFailedMessage(), now);
                break;
        }
    }

    private static void Complete(IReadOnlyList<PendingOutcome> batch)
    {
        foreach (var pending in batch)
        {
            pending.Committed.TrySetResult();
        }
    }

    /// <param name="Step">The processor's activity: the trace the outcome message continues.</param>
    private sealed record PendingOutcome(
        OffsetFulfillment Fulfillment,
        int CommittedVersion,
        IReadOnlyCollection<string> Changed,
        Activity? Step,
        TaskCompletionSource Committed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} fulfilment outcomes failed to commit; retrying them one by one")]
    private partial void LogBatchFailed(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "A transaction of {Count} fulfilment outcome(s) met a concurrent change (attempt {Attempt}); writing it again")]
    private partial void LogSerializationRetry(int count, int attempt);
}
