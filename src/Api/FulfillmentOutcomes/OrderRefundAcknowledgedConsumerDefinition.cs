using MassTransit;
using PuffinOffset.Messaging;

namespace PuffinOffset.Api.FulfillmentOutcomes;

public sealed class OrderRefundAcknowledgedConsumerDefinition : ConsumerDefinition<OrderRefundAcknowledgedConsumer>
{
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OrderRefundAcknowledgedConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseConsumerRetry();
}
