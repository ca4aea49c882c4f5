using MassTransit;
using PuffinOffset.Fulfillment.Payments;
using PuffinOffset.Messaging;

namespace PuffinOffset.Fulfillment.Tests.Messaging;

/// <summary>The Api's console empties Fulfillment's dead-letter queues by name, so the names it knows are Fulfillment's.</summary>
public sealed class ServiceQueuesTests
{
    [Fact]
    public void The_queues_the_console_knows_for_Fulfillment_are_those_of_its_consumers()
    {
        var consumers = typeof(PaymentCompletedConsumer).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IConsumer).IsAssignableFrom(t));
        var name = typeof(KebabCaseEndpointNameFormatter).GetMethod(nameof(KebabCaseEndpointNameFormatter.Consumer))!;
        var queues = consumers.Select(t => (string)name.MakeGenericMethod(t).Invoke(KebabCaseEndpointNameFormatter.Instance, null)!);

        Assert.Equal(queues.Order(), ServiceQueues.ByService[ServiceQueues.Fulfillment].Order());
    }
}
