namespace PuffinOffset.Fulfillment.Refunds;

/// <summary>What the Api said about one order right before its delayed purchase (<see cref="RefundCheck"/>).</summary>
/// <param name="AsOf">When the Api instance that answered was asked: its record of refunds is at least that recent (null: no answer).</param>
public readonly record struct RefundVerdict(RefundCheckOutcome Outcome, DateTimeOffset? RefundedAt = null, DateTimeOffset? AsOf = null)
{
    public static readonly RefundVerdict NotRefunded = new(RefundCheckOutcome.NotRefunded);
    public static readonly RefundVerdict Unavailable = new(RefundCheckOutcome.Unavailable);
}

public enum RefundCheckOutcome
{
    /// <summary>The Api has accepted no full refund: the purchase may begin.</summary>
    NotRefunded,

    /// <summary>Refunded in full: recorded as <c>OrderRefunded</c> would be (cancelled, no POST).</summary>
    Refunded,

    /// <summary>The Api could not be asked (or did not know the order): no POST; the fulfilment is tried again later.</summary>
    Unavailable,
}
