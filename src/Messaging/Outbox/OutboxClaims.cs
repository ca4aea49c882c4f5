using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>
/// Keeps a withdrawal (<see cref="OutboxWithdrawal"/>) and the SQLite dispatcher off the same row. On SQLite the
/// dispatcher reads its batch without a transaction and publishes from memory, so a row read before a withdrawal
/// committed would still go out. Here the dispatcher claims each window of rows just before publishing it, a
/// withdrawal reserves the rows it is about to delete, and neither takes a row the other holds: a claimed row whose
/// publish is under way is waited for (its outcome needs no database, so this never waits on the withdrawal's own
/// write lock), one the broker confirmed is left to the messages that follow, one whose publish failed may be
/// deleted (the dispatcher's attempt count for it is then dropped). A claim ends when the row's outcome is on disk,
/// a reservation when the withdrawing transaction ends.
/// PostgreSQL needs none of this: the dispatcher holds its rows under FOR UPDATE until they are marked, and a
/// withdrawal's delete waits for that lock and then finds the row dispatched (its writer retries under repeatable read).
/// Registered as an interceptor so that every context of the service carries it to <see cref="OutboxWithdrawal"/>.
/// </summary>
public sealed class OutboxClaims : IDbTransactionInterceptor
{
    private enum Publish { InFlight, Confirmed, Failed }

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Publish> _claimed = [];
    private readonly HashSet<long> _reserved = [];
    private TaskCompletionSource _outcome = NewOutcome();
    private long _reservations;

    /// <summary>Moves on every reservation: a dispatcher that saw it move since its read checks its rows again.</summary>
    public long Reservations => Interlocked.Read(ref _reservations);

    /// <summary>The dispatcher's side: the rows of a window it may publish now (none a withdrawal holds), claimed as in flight.</summary>
    public OutboxMessage[] ClaimWindow(IEnumerable<OutboxMessage> rows)
    {
        lock (_gate)
        {
            var free = rows.Where(r => !_reserved.Contains(r.Sequence)).ToArray();
            foreach (var row in free)
            {
                _claimed[row.Sequence] = Publish.InFlight;
            }

            return free;
        }
    }

    /// <summary>The broker's answer for a claimed row; a withdrawal waiting for it continues.</summary>
    public void Answered(OutboxMessage row, bool confirmed)
    {
        lock (_gate)
        {
            // PostgreSQL's dispatcher claims nothing here (its rows are locked in the database).
            if (!_claimed.ContainsKey(row.Sequence))
            {
                return;
            }

            _claimed[row.Sequence] = confirmed ? Publish.Confirmed : Publish.Failed;
            _outcome.TrySetResult();
            _outcome = NewOutcome();
        }
    }

    /// <summary>The rows' outcome is on disk (dispatched mark or failed attempt): they are the database's again.</summary>
    public void Release(IEnumerable<OutboxMessage> rows)
    {
        lock (_gate)
        {
            foreach (var row in rows)
            {
                _claimed.Remove(row.Sequence);
            }

            _outcome.TrySetResult();
            _outcome = NewOutcome();
        }
    }

    /// <summary>
    /// The withdrawal's side: reserves the rows it may delete — unclaimed, or claimed and failed — after waiting for
    /// the publishes under way among them; rows the broker confirmed are left out.
    /// </summary>
    internal async Task<List<long>> ReserveAsync(IReadOnlyCollection<long> sequences, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task answered;
            lock (_gate)
            {
                if (!sequences.Any(s => _claimed.TryGetValue(s, out var state) && state == Publish.InFlight))
                {
                    var free = sequences.Where(s => !_claimed.TryGetValue(s, out var state) || state == Publish.Failed).ToList();
                    _reserved.UnionWith(free);
                    Interlocked.Increment(ref _reservations);
                    return free;
                }

                answered = _outcome.Task;
            }

            await answered.WaitAsync(cancellationToken);
        }
    }

    internal void EndReservation(IEnumerable<long> sequences)
    {
        lock (_gate)
        {
            _reserved.ExceptWith(sequences);
        }
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => EndReservations(eventData);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        EndReservations(eventData);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => EndReservations(eventData);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        EndReservations(eventData);
        return Task.CompletedTask;
    }

    private static void EndReservations(TransactionEndEventData eventData)
    {
        if (eventData.Context is MessagingDbContext messaging)
        {
            messaging.EndWithdrawalReservations();
        }
    }

    private static TaskCompletionSource NewOutcome() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
