using PuffinOffset.Messaging;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>Wakes the fulfilment worker right after a fulfilment was scheduled or replayed.</summary>
public sealed class FulfillmentSignal : WakeSignal;
