using MassTransit;
using PuffinOffset.Messaging;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>Up to 8 payments scheduled at once, each retried by the policy shared by every consumer.</summary>
public sealed class PaymentCompletedConsumerDefinition : ConsumerDefinition<PaymentCompletedConsumer>
{
    public PaymentCompletedConsumerDefinition() => ConcurrentMessageLimit = 8;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<PaymentCompletedConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseConsumerRetry();
}
