using MassTransit;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>Same policy as <see cref="PaymentCompletedConsumerDefinition"/>: a few in-process retries, then <c>_error</c>.</summary>
public sealed class OrderRefundedConsumerDefinition : ConsumerDefinition<OrderRefundedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OrderRefundedConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 1000, 5000));
}
