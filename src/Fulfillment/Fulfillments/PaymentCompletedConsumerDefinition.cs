using MassTransit;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>
/// Retries a failed delivery (database busy, a lost race on the order's key) a few times in process;
/// after that the message goes to the <c>_error</c> queue. No delayed redelivery: the broker has no plugin for it.
/// </summary>
public sealed class PaymentCompletedConsumerDefinition : ConsumerDefinition<PaymentCompletedConsumer>
{
    public PaymentCompletedConsumerDefinition() => ConcurrentMessageLimit = 8;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<PaymentCompletedConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(retry => retry.Intervals(100, 500, 1000, 5000));
}
