namespace PuffinOffset.Messaging.Contracts;

/// <summary>
/// Api → Fulfillment: an operator asks to try a failed fulfilment again (Wren is looked up before any POST).
/// <c>RequestId</c> names the operator's request: the Api resends it, with the same id, until an outcome arrives,
/// and Fulfillment replays once per id (a resend of a replay that failed again republishes that failure).
/// </summary>
public sealed record FulfillmentReplayRequested(
    Guid OrderId,
    string RequestedBy,
    string? Note,
    Guid? RequestId = null);
