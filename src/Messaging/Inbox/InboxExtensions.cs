using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Inbox;

public static class InboxExtensions
{
    /// <summary>
    /// Applies <paramref name="work"/> at most once per (message id, consumer): the inbox row, the
    /// business change and any outbox rows it adds commit in one write transaction (docs/architecture.md, "Write transactions on SQLite and PostgreSQL").
    /// A concurrent delivery on another replica that committed the same inbox row first makes this one
    /// already processed; a serialization failure goes to the consumer's retry policy, whose retry finds
    /// the committed state. Returns false when the message had already been processed.
    /// </summary>
    public static Task<bool> ProcessOnceAsync<TContext>(
        this TContext db,
        ConsumeContext context,
        string consumer,
        TimeProvider time,
        Func<CancellationToken, Task> work)
        where TContext : MessagingDbContext
    {
        var messageId = context.MessageId
            ?? throw new InvalidOperationException($"{consumer} received a message without a MessageId; it cannot be de-duplicated.");
        return db.ProcessOnceAsync(messageId, consumer, time, work, context.CancellationToken);
    }

    public static async Task<bool> ProcessOnceAsync<TContext>(
        this TContext db,
        Guid messageId,
        string consumer,
        TimeProvider time,
        Func<CancellationToken, Task> work,
        CancellationToken cancellationToken)
        where TContext : MessagingDbContext
    {
        await using var transaction = await db.BeginWriteTransactionAsync(cancellationToken);
        try
        {
            var seen = await db.InboxMessages.AnyAsync(m => m.MessageId == messageId && m.Consumer == consumer, cancellationToken);
            if (seen)
            {
                return false;
            }

            db.InboxMessages.Add(new InboxMessage { MessageId = messageId, Consumer = consumer, ProcessedAt = time.GetUtcNow() });
            await work(cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (DatabaseErrors.IsUniqueViolation(ex))
        {
            // A concurrent delivery (another replica) committed the same inbox row first: already applied.
            await transaction.RollbackAsync(CancellationToken.None);
            db.ChangeTracker.Clear();
            if (await db.InboxMessages.AnyAsync(m => m.MessageId == messageId && m.Consumer == consumer, cancellationToken))
            {
                return false;
            }

            throw;
        }
    }
}
