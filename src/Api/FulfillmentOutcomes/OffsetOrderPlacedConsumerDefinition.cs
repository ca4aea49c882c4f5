using MassTransit;
using PuffinOffset.Messaging;

namespace PuffinOffset.Api.FulfillmentOutcomes;

public sealed class OffsetOrderPlacedConsumerDefinition : ConsumerDefinition<OffsetOrderPlacedConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OffsetOrderPlacedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseConsumerRetry();
}
