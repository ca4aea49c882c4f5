using MassTransit;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.Inbox;

namespace PuffinOffset.Api.FulfillmentOutcomes;

/// <summary>
/// Up to 64 outcomes consumed at once, each retried by the policy shared by every consumer: the deliveries in flight
/// together are recorded in one commit (<see cref="GroupedInbox{TContext}"/>), so this bounds the group size.
/// </summary>
public sealed class OffsetOrderPlacedConsumerDefinition : ConsumerDefinition<OffsetOrderPlacedConsumer>
{
    public OffsetOrderPlacedConsumerDefinition() => ConcurrentMessageLimit = 64;

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OffsetOrderPlacedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseConsumerRetry();
}
