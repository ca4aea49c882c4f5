namespace PuffinOffset.Messaging.Contracts;

/// <summary>
/// Fulfillment → Api: the answer to <see cref="OrderRefunded"/>. Fulfillment has recorded the refund and its
/// fulfilment has reached a final state, named by <c>FulfillmentState</c> (<c>Cancelled</c>: the offset is never
/// bought; <c>Placed</c>: it was bought before the refund, and the <see cref="OffsetOrderPlaced"/> is sent again with
/// this; <c>Failed</c>). Sent again for every <see cref="OrderRefunded"/> received, so the Api stops resending.
/// </summary>
public sealed record OrderRefundAcknowledged(
    Guid OrderId,
    bool Cancelled,
    string FulfillmentState,
    DateTimeOffset AcknowledgedAt);
