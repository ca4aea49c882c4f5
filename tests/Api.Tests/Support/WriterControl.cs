using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>
/// Steers the database transactions of an Api host: holds the next one open (so webhooks arriving meanwhile
/// queue up and are committed together as one batch), counts them, and can make every commit fail as a
/// lost connection or a killed process would, before anything is durable.
/// </summary>
public sealed class WriterControl : DbTransactionInterceptor
{
    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed;
    private int _started;

    public bool FailCommits { get; set; }
    public int TransactionsStarted => Volatile.Read(ref _started);

    /// <summary>The next transaction that starts waits until <see cref="Release"/>.</summary>
    public void HoldNext() => Volatile.Write(ref _armed, 1);

    /// <summary>Completes once the held transaction started.</summary>
    public Task Held => _held.Task;

    public void Release() => _release.TrySetResult();

    public override async ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData,
        DbTransaction result, CancellationToken cancellationToken = default)
    {
        // On PostgreSQL the background jobs (OneReplica's advisory locks, EF's migration lock) open
        // read-committed transactions of their own; the writer's is repeatable read. SQLite's are all the writer's here.
        if (connection.GetType().Name.StartsWith("Npgsql", StringComparison.Ordinal) && result.IsolationLevel != System.Data.IsolationLevel.RepeatableRead)
        {
            return result;
        }

        Interlocked.Increment(ref _started);
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _held.TrySetResult();
            await _release.Task;
        }

        return result;
    }

    public override ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
        InterceptionResult result, CancellationToken cancellationToken = default) =>
        FailCommits ? throw new InvalidOperationException("SQLite Error 10: disk I/O error (connection lost before commit)") : ValueTask.FromResult(result);
}
