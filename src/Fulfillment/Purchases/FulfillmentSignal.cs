using PuffinOffset.Platform;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>Wakes the fulfilment worker right after a fulfilment was scheduled or replayed.</summary>
public sealed class FulfillmentSignal : WakeSignal;
