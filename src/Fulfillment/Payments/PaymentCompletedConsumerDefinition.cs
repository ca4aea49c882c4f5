using MassTransit;
using PuffinOffset.Messaging;

namespace PuffinOffset.Fulfillment.Payments;

/// <summary>
/// Up to 64 payments consumed at once, each retried by the policy shared by every consumer: the deliveries in
/// flight together are scheduled in one commit (the inbox's, with <see cref="PaymentBatch"/>), so this bounds the group size.
/// </summary>
public sealed class PaymentCompletedConsumerDefinition : ConsumerDefinition<PaymentCompletedConsumer>
{
    public PaymentCompletedConsumerDefinition() => ConcurrentMessageLimit = 64;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<PaymentCompletedConsumer> consumerConfigurator,
        IRegistrationContext context) =>
        endpointConfigurator.UseConsumerRetry();
}
