namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>This process, as the owner of the fulfilment leases it takes.</summary>
public sealed class FulfillmentReplica
{
    public string Id { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";
}
