using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// Group commit: the single writer of one kind of change (the Api's Stripe events, every consumer's inbox:
/// Messaging's <c>GroupedInbox</c>, Fulfillment's outcomes). Changes that arrive while a commit is being
/// made wait in a channel and are then written together in one transaction, one fsync (<c>synchronous=FULL</c>
/// stays); each caller's task completes only once the commit that holds its change returned. A writer supplies what
/// differs: the batch (<see cref="WriteBatchAsync"/>) and, for a change that failed on its own with a unique violation
/// or a serialization failure, whether it was applied elsewhere (<see cref="AppliedElsewhereAsync"/>). The recovery is
/// written here once: a batch that fails is written again one change at a time, so one bad change fails alone; on
/// PostgreSQL a serialization failure (a concurrent change of a row the batch read or wrote) runs the transaction again.
/// </summary>
public abstract class GroupCommitWriter<TChange, TResult>(ILogger logger, string changes) : BackgroundService
    where TResult : class
{
    /// <summary>Bounds one transaction's work (and how long the first change in it waits for the last).</summary>
    public const int MaxBatch = 256;

    /// <summary>How often a transaction that met a concurrent change is run again (PostgreSQL only).</summary>
    private const int MaxConcurrentAttempts = 5;

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();

    /// <summary>Changes queued and not yet taken into a transaction.</summary>
    public int Waiting => _pending.Reader.Count;

    /// <summary>
    /// The test seam: awaited before every transaction the writer runs (a batch, a change of a failed batch on its
    /// own, a rerun after a serialization failure), so a test can hold the writer while changes queue into one
    /// batch, or count its transactions. Null outside tests.
    /// </summary>
    public Func<Task>? BeforeTransaction { get; set; }

    /// <summary>
    /// The test seam inside the transaction: awaited once the batch is written and before it commits, so a test can
    /// let another replica's transaction cross this one. Null outside tests.
    /// </summary>
    public Func<Task>? BeforeCommit { get; set; }

    /// <summary>The change's result, once the transaction that holds it committed.</summary>
    protected Task<TResult> WriteAsync(TChange change, string stopping)
    {
        var pending = new Pending(change, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_pending.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException(stopping);
        }

        return pending.Committed.Task;
    }

    /// <summary>Writes the batch in one transaction and commits it; one result per change, in order.</summary>
    protected abstract Task<IReadOnlyList<TResult>> WriteBatchAsync(IReadOnlyList<TChange> batch);

    /// <summary>
    /// A change that failed on its own with a unique violation or a serialization failure (another writer, another
    /// replica, may have applied it first): its result after all, or null to fail it. Other failures fail the change.
    /// </summary>
    protected virtual Task<TResult?> AppliedElsewhereAsync(TChange change) => Task.FromResult<TResult?>(default);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // What was queued before the stop is still written: the loop drains the channel before it ends.
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(MaxBatch);
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

    private async Task CommitAsync(List<Pending> batch)
    {
        try
        {
            Complete(batch, await WriteWithRetriesAsync(batch));
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            GroupCommitLog.BatchFailed(logger, batch.Count, changes, ex);
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
                Complete([pending], await WriteWithRetriesAsync([pending]));
            }
            catch (Exception ex)
            {
                await FailAsync(pending, ex);
            }
        }
    }

    private async Task<IReadOnlyList<TResult>> WriteWithRetriesAsync(IReadOnlyList<Pending> batch)
    {
        var changesOfBatch = batch.Select(p => p.Change).ToList();
        for (var attempt = 1; ; attempt++)
        {
            if (BeforeTransaction is { } before)
            {
                await before();
            }

            try
            {
                return await WriteBatchAsync(changesOfBatch);
            }
            catch (Exception ex) when (DatabaseErrors.IsSerializationFailure(ex) && attempt < MaxConcurrentAttempts)
            {
                GroupCommitLog.SerializationRetry(logger, batch.Count, changes, attempt);
            }
        }
    }

    private static void Complete(IReadOnlyList<Pending> batch, IReadOnlyList<TResult> results)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].Committed.TrySetResult(results[i]);
        }
    }

    private async Task FailAsync(Pending pending, Exception failure)
    {
        try
        {
            if ((DatabaseErrors.IsUniqueViolation(failure) || DatabaseErrors.IsSerializationFailure(failure))
                && await AppliedElsewhereAsync(pending.Change) is { } result)
            {
                pending.Committed.TrySetResult(result);
                return;
            }
        }
        catch (Exception ex)
        {
            GroupCommitLog.RecoverFailed(logger, changes, ex);
        }

        pending.Committed.TrySetException(failure);
    }

    private sealed record Pending(TChange Change, TaskCompletionSource<TResult> Committed);
}

internal static partial class GroupCommitLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "A batch of {Count} {Changes} failed to commit; writing them one by one")]
    public static partial void BatchFailed(ILogger logger, int count, string changes, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "A transaction of {Count} {Changes} met a concurrent change (attempt {Attempt}); writing it again")]
    public static partial void SerializationRetry(ILogger logger, int count, string changes, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking whether a failed one of the {Changes} was applied elsewhere failed")]
    public static partial void RecoverFailed(ILogger logger, string changes, Exception exception);
}
