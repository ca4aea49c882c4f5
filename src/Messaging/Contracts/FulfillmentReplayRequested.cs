namespace PuffinOffset.Messaging.Contracts;

/// <summary>Api → Fulfillment: an operator asks to try a failed fulfilment again (Wren is looked up before any POST).</summary>
public sealed record FulfillmentReplayRequested(
    Guid OrderId,
    string RequestedBy,
    string? Note);
