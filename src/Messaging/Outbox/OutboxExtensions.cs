using MassTransit;
using PuffinOffset.Messaging.Persistence;

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
}
