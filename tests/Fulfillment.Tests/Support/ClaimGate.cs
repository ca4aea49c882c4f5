using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Fulfillment.Purchases;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// Stops the worker after it read that a fulfilment is due and before it opens the transaction that claims it
/// (and begins its attempt), so a test can commit something else exactly in that window.
/// </summary>
public sealed class ClaimGate : DbCommandInterceptor, IDbTransactionInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConditionalWeakTable<DbContext, object> _sawDue = [];

    public Task Reached => _reached.Task;

    /// <summary>The worker's claim transaction has begun (and holds SQLite's write lock) after the gate opened.</summary>
    public Task Entered => _entered.Task;

    public void Open() => _open.TrySetResult();

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        // The worker claims (opens its write transaction) only after this read found something due.
        if (command.CommandText.Contains(FulfillmentWorker.DueQueryTag, StringComparison.Ordinal) && eventData.Context is { } context)
        {
            _sawDue.AddOrUpdate(context, this);
        }

        return await base.ReaderExecutedAsync(command, eventData, result, cancellationToken);
    }

    public async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        if (IsClaim(eventData.Context))
        {
            _reached.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
        }

        return result;
    }

    public ValueTask<DbTransaction> TransactionStartedAsync(
        DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        if (_open.Task.IsCompleted && IsClaim(eventData.Context))
        {
            _entered.TrySetResult();
        }

        return ValueTask.FromResult(result);
    }

    private bool IsClaim(DbContext? context) => context is not null && _sawDue.TryGetValue(context, out _);
}
