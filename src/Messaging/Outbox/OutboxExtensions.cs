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
