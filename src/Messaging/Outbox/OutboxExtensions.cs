using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Messaging.Outbox;

public static class OutboxExtensions
{
    /// <summary>Adds <paramref name="message"/> to the outbox; it is published only if the current transaction commits.</summary>
    public static Guid Enqueue<T>(this MessagingDbContext db, T message, DateTimeOffset now) where T : class
    {
        var messageId = NewId.NextGuid();
        db.OutboxMessages.Add(OutboxMessage.Create(message, messageId, now));
        return messageId;
    }

    /// <summary>
    /// Marks the rows with these sequences dispatched, as one statement with one parameter (the sequences as an array:
    /// <c>json_each</c> on SQLite, <c>= ANY</c> on PostgreSQL), not an update per tracked row.
    /// </summary>
    public static Task<int> MarkDispatchedAsync(this MessagingDbContext db, long[] sequences, DateTimeOffset dispatchedAt,
        CancellationToken cancellationToken) =>
        db.OutboxMessages
            .Where(m => EF.Parameter(sequences).Contains(m.Sequence))
            .ExecuteUpdateAsync(set => set.SetProperty(m => m.DispatchedAt, dispatchedAt), cancellationToken);

    /// <summary>
    /// Rows made with <see cref="OutboxMessage.Create{T}"/> written at once, as multi-row inserts in the current transaction
    /// (a batch writer's messages, without a tracked entity each); the dispatcher is woken once the transaction commits.
    /// </summary>
    public static async Task EnqueueAsync(this MessagingDbContext db, IReadOnlyList<OutboxMessage> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }

        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("Outbox rows written without SaveChanges need the caller's transaction: its commit wakes the dispatcher.");
        }

        await MultiRowInsert.WriteAsync(db, rows, cancellationToken);
        db.HasUnsignaledOutboxRows = true;
    }
}
