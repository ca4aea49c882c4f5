namespace PuffinOffset.Messaging.InternalApi;

/// <summary>
/// Fulfillment → Api, over HTTP on the Api's management listener (<c>POST /api/internal/refund-status</c>, a service
/// key): which of these orders the Api has accepted a full refund for. Asked right before a delayed purchase, so
/// that a refund the broker has not delivered yet still stops it (docs/fulfillment.md, "The refund check").
/// </summary>
public sealed record RefundStatusRequest(IReadOnlyList<Guid>? OrderIds)
{
    /// <summary>The most order ids one question may carry (a worker's batch is at most <c>WREN_MAX_CONCURRENCY</c>).</summary>
    public const int MaxOrderIds = 256;

    public const string Path = "/api/internal/refund-status";
}

/// <summary>The answer: one entry per order id asked about, in the order asked.</summary>
public sealed record RefundStatusResponse(IReadOnlyList<OrderRefundStatus> Orders);

/// <param name="Known">False when the Api has no such order (then nothing else is set).</param>
/// <param name="Refunded">Refunded in full (status <c>refunded</c>): no offset may be bought for it.</param>
/// <param name="Status">The order's status as the order view names it; null when unknown.</param>
/// <param name="AmountRefunded">Cents refunded so far (a partial refund leaves the order as it was).</param>
/// <param name="RefundedAt">When the Api accepted the full refund.</param>
public sealed record OrderRefundStatus(Guid OrderId, bool Known, bool Refunded, string? Status, long AmountRefunded, DateTimeOffset? RefundedAt);
