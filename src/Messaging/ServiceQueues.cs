namespace PuffinOffset.Messaging;

/// <summary>
/// The receive queue of every consumer of both services, as MassTransit's kebab-case formatter names them. The
/// Api's console handles the dead letters of both services and RabbitMQ lists queues only through its management
/// plugin, so the names are known here; a test compares them with each service's consumers.
/// </summary>
public static class ServiceQueues
{
    public const string Api = "api";
    public const string Fulfillment = "fulfillment";

    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> ByService = new Dictionary<string, IReadOnlyList<string>>
    {
        [Api] = ["offset-order-placed", "offset-order-failed", "order-refund-acknowledged"],
        [Fulfillment] = ["payment-completed", "order-refunded", "fulfillment-replay-requested"],
    };
}
