namespace PuffinOffset.Messaging.Inbox;

/// <summary>
/// Proof that <see cref="Consumer"/> has applied message <see cref="MessageId"/>. Unique on the pair and
/// committed with the consumer's business change, so a redelivered message changes nothing twice.
/// </summary>
public sealed class InboxMessage
{
    public Guid MessageId { get; init; }
    public string Consumer { get; init; } = "";
    public DateTimeOffset ProcessedAt { get; init; }
}
