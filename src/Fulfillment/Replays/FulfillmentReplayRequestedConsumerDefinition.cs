using MassTransit;

namespace PuffinOffset.Fulfillment.Replays;

/// <summary>
/// Retries a failed delivery (database busy) a few times in process; after that the message goes to the
/// <c>_error</c> queue. Shorter than <see cref="PuffinOffset.Messaging.ConsumerRetry"/>: the Api resends a replay request until
/// an outcome reaches it, so a request given up here is asked again rather than lost.
/// </summary>
public sealed class FulfillmentReplayRequestedConsumerDefinition : ConsumerDefinition<FulfillmentReplayRequestedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<FulfillmentReplayRequestedConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 1000, 5000));
}
