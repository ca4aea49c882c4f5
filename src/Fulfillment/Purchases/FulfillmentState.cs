namespace PuffinOffset.Fulfillment.Purchases;

public enum FulfillmentState
{
    /// <summary>Waiting for its next attempt at <see cref="OffsetFulfillment.NextAttemptAt"/>.</summary>
    Scheduled,

    /// <summary>A Wren POST may be in flight: committed before the call, so a crash leaves this trace behind.</summary>
    Attempting,

    /// <summary>Wren created the order (or accepted the dry run). Final.</summary>
    Placed,

    /// <summary>Wren refused the order for good, or every retry was spent. Final until an operator replays it.</summary>
    Failed,

    /// <summary>The payment was refunded before any POST was sent: the offset is never bought. Final.</summary>
    Cancelled,
}
