using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Inbox;

public static class InboxExtensions
{
    /// <summary>
    /// Applies <paramref name="work"/> at most once per (message id, consumer): the inbox row, the
    /// business change and any outbox rows it adds commit in one transaction. SQLite's
    /// <c>BEGIN IMMEDIATE</c> (Microsoft.Data.Sqlite's default) takes the write lock up front, so two
    /// concurrent deliveries of one message serialise and the second sees the first's inbox row.
    /// Returns false when the message had already been processed.
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
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
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
}
