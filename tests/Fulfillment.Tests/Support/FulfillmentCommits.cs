using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Fulfillment.Payments;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// Records what each committed transaction of a Fulfillment host held (how many fulfilments it moved to
/// Attempting, how many outcomes it recorded, how many payments), and can hold the first transaction that records
/// an outcome (before it begins) or payments (before it commits) until released, so that the outcomes or
/// deliveries arriving meanwhile queue up behind it.
/// </summary>
public sealed class FulfillmentCommits : DbTransactionInterceptor
{
    private readonly ConcurrentQueue<Commit> _commits = new();
    private readonly TaskCompletionSource _outcomeHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _holdArmed;

    /// <param name="Attempting">Fulfilments the transaction left Attempting.</param>
    /// <param name="Outcomes">Fulfilments it recorded Placed or Failed.</param>
    /// <param name="Payments">PaymentCompleted deliveries it recorded (their inbox rows).</param>
    public sealed record Commit(int Attempting, int Outcomes, int Payments);

    private readonly TaskCompletionSource _paymentsHeld = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _paymentsHoldArmed;

    /// <summary>The next transaction that records PaymentCompleted deliveries waits before its commit until <see cref="Release"/>.</summary>
    public void HoldFirstPaymentCommit() => Volatile.Write(ref _paymentsHoldArmed, 1);

    public Task PaymentsHeld => _paymentsHeld.Task;

    public IReadOnlyList<Commit> Commits => [.. _commits];

    /// <summary>The next transaction that records an outcome waits, once begun, until <see cref="Release"/>.</summary>
    public void HoldFirstOutcomeCommit() => Volatile.Write(ref _holdArmed, 1);

    public Task OutcomeHeld => _outcomeHeld.Task;

    public void Release() => _release.TrySetResult();

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        // The outcome writer attaches its batch before it begins the transaction. Held before BEGIN (IMMEDIATE on
        // SQLite), so that the consumers and the worker still write meanwhile.
        if (Outcomes(eventData.Context) > 0 && Interlocked.Exchange(ref _holdArmed, 0) == 1)
        {
            _outcomeHeld.TrySetResult();
            await _release.Task;
        }

        return result;
    }

    public override async ValueTask<InterceptionResult> TransactionCommittingAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        var attempting = Tracked(eventData.Context).Count(f => f.State == FulfillmentState.Attempting);
        var outcomes = Outcomes(eventData.Context);
        var payments = eventData.Context?.ChangeTracker.Entries<InboxMessage>().Count(e => e.Entity.Consumer == nameof(PaymentCompletedConsumer)) ?? 0;
        if (attempting > 0 || outcomes > 0 || payments > 0)
        {
            _commits.Enqueue(new Commit(attempting, outcomes, payments));
        }

        // Written and not yet committed: deliveries consumed meanwhile queue for the next transaction.
        if (payments > 0 && Interlocked.Exchange(ref _paymentsHoldArmed, 0) == 1)
        {
            _paymentsHeld.TrySetResult();
            await _release.Task;
        }

        return result;
    }

    private static int Outcomes(DbContext? context) =>
        Tracked(context).Count(f => f.State is FulfillmentState.Placed or FulfillmentState.Failed);

    private static IEnumerable<OffsetFulfillment> Tracked(DbContext? context) =>
        context?.ChangeTracker.Entries<OffsetFulfillment>().Select(e => e.Entity) ?? [];
}
