namespace PuffinOffset.Messaging.Contracts;

/// <summary>Fulfillment → Api: the offset could not be bought; <c>Reason</c> is safe to show an operator.</summary>
public sealed record OffsetOrderFailed(
    Guid OrderId,
    string Reason,
    int Attempts,
    DateTimeOffset FailedAt);
