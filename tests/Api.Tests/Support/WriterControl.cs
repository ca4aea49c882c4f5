using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>
/// Holds and counts a group-commit writer's transactions through its test seam
/// (<see cref="GroupCommitWriter{TChange, TResult}.BeforeTransaction"/>), and fails every commit while
/// <see cref="FailCommits"/> is set (as a lost connection or a full disk would).
/// </summary>
public sealed class WriterControl : DbTransactionInterceptor
{
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed;
    private int _started;

    public bool FailCommits { get; set; }
    public int TransactionsStarted => Volatile.Read(ref _started);

    /// <summary>From now on the writer's transactions are counted, and the one after <see cref="HoldNext"/> held.</summary>
    public void Attach<TChange, TResult>(GroupCommitWriter<TChange, TResult> writer)
        where TResult : class => writer.BeforeTransaction = BeforeTransactionAsync;

    /// <summary>The writer's next transaction waits until <see cref="Release"/>.</summary>
    public void HoldNext() => Volatile.Write(ref _armed, 1);

    /// <summary>Completes once the held transaction was reached.</summary>
    public Task Held => _held.Task;

    public void Release() => _release.TrySetResult();

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
