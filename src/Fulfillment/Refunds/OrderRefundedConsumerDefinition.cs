using MassTransit;
using PuffinOffset.Messaging;

namespace PuffinOffset.Fulfillment.Refunds;

/// <summary>
/// The retry policy shared by every consumer (<see cref="ConsumerRetry"/>), then <c>_error</c>. The refunds being
/// applied are watched by <see cref="RefundBacklog"/>; prefetch equals the concurrency limit, so a refund delivered to
/// this process is being applied (and seen there), not waiting unseen in a client-side buffer.
/// </summary>
public sealed class OrderRefundedConsumerDefinition : ConsumerDefinition<OrderRefundedConsumer>
{
    public const int Concurrency = 16;

    public OrderRefundedConsumerDefinition() => ConcurrentMessageLimit = Concurrency;

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<OrderRefundedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseConsumerRetry();
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.PrefetchCount = Concurrency;
        }
    }
}
