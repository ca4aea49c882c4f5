using MassTransit;
using PuffinOffset.Messaging;

namespace PuffinOffset.Api.FulfillmentOutcomes;

public sealed class OffsetOrderFailedConsumerDefinition : ConsumerDefinition<OffsetOrderFailedConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OffsetOrderFailedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseConsumerRetry();
}
