namespace PuffinOffset.Messaging.Contracts;

/// <summary>Api → Fulfillment: Stripe refunded the order's payment; a fulfilment not yet attempted is cancelled.</summary>
public sealed record OrderRefunded(
    Guid OrderId,
    long AmountRefunded,
    DateTimeOffset RefundedAt);
