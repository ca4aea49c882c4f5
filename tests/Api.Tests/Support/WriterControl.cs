using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>
/// Holds and counts a group-commit writer's transactions through its test seams
/// (<see cref="GroupCommitWriter{TChange, TResult}.BeforeTransaction"/>, <see cref="GroupCommitWriter{TChange, TResult}.BeforeCommit"/>), and fails every commit while
/// <see cref="FailCommits"/> is set (as a lost connection or a full disk would).
/// </summary>
public sealed class WriterControl : DbTransactionInterceptor
{
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _commitHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _commitRelease = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed;
    private int _commitArmed;
    private int _started;

    public bool FailCommits { get; set; }
    public int TransactionsStarted => Volatile.Read(ref _started);

    /// <summary>From now on the writer's transactions are counted, and the one after <see cref="HoldNext"/> held.</summary>
    public void Attach<TChange, TResult>(GroupCommitWriter<TChange, TResult> writer)
        where TResult : class
    {
        writer.BeforeTransaction = BeforeTransactionAsync;
        writer.BeforeCommit = BeforeCommitAsync;
    }

    /// <summary>The writer's next transaction waits until <see cref="Release"/>.</summary>
    public void HoldNext() => Volatile.Write(ref _armed, 1);

    /// <summary>Completes once the held transaction was reached.</summary>
    public Task Held => _held.Task;

    public void Release() => _release.TrySetResult();

    /// <summary>The writer's next transaction waits, written and not yet committed, until <see cref="ReleaseCommit"/>.</summary>
    public void HoldNextCommit() => Volatile.Write(ref _commitArmed, 1);

    /// <summary>Completes once the held transaction had written its batch.</summary>
    public Task CommitHeld => _commitHeld.Task;

    public void ReleaseCommit() => _commitRelease.TrySetResult();

    private async Task BeforeCommitAsync()
    {
        if (Interlocked.Exchange(ref _commitArmed, 0) == 1)
        {
            _commitHeld.TrySetResult();
            await _commitRelease.Task;
        }
    }

    private async Task BeforeTransactionAsync()
    {
        Interlocked.Increment(ref _started);
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _held.TrySetResult();
            await _release.Task;
        }
    }

    public override ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default) =>
        FailCommits ? throw new InvalidOperationException("SQLite Error 10: disk I/O error (connection lost before commit)") : ValueTask.FromResult(result);
}
