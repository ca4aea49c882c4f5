using MassTransit;
using PuffinOffset.Messaging;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>The retry policy shared by every consumer (<see cref="ConsumerRetry"/>), then <c>_error</c>.</summary>
public sealed class OrderRefundedConsumerDefinition : ConsumerDefinition<OrderRefundedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OrderRefundedConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseConsumerRetry();
}
