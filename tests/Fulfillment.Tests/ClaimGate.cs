using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Fulfillment.Fulfillments;

namespace PuffinOffset.Fulfillment.Tests;

/// <summary>
/// Stops the worker after it read a due fulfilment and before it opens the transaction that claims the attempt,
/// so a test can commit something else exactly in that window.
/// </summary>
public sealed class ClaimGate : DbTransactionInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Reached => _reached.Task;

    /// <summary>The worker's claim transaction has begun (and holds SQLite's write lock) after the gate opened.</summary>
    public Task Entered => _entered.Task;

    public void Open() => _open.TrySetResult();

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        // Only the worker begins a transaction while tracking a scheduled fulfilment (consumers track nothing yet).
        if (IsClaim(eventData.Context!))
        {
            _reached.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
        }

        return result;
    }

    public override ValueTask<DbTransaction> TransactionStartedAsync(
        DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        if (_open.Task.IsCompleted && IsClaim(eventData.Context!))
        {
            _entered.TrySetResult();
        }

        return ValueTask.FromResult(result);
    }

    private static bool IsClaim(Microsoft.EntityFrameworkCore.DbContext context) =>
        context.ChangeTracker.Entries<OffsetFulfillment>().Any(e => e.Entity.State == FulfillmentState.Scheduled);
}
