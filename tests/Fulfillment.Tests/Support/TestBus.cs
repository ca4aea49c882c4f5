using System.Collections.Concurrent;
using MassTransit;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>Stands in for the Api on the same vhost: publishes PaymentCompleted and replay requests, and records what Fulfillment answers.</summary>
public sealed class TestBus(IBusControl bus) : IAsyncDisposable
{
    public ConcurrentQueue<OffsetOrderPlaced> Placed { get; } = new();
    public ConcurrentQueue<OffsetOrderFailed> Failed { get; } = new();
    public ConcurrentQueue<OrderRefundAcknowledged> RefundAcknowledgements { get; } = new();

    public static async Task<TestBus> StartAsync(string brokerUri)
    {
        TestBus? testBus = null;
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(brokerUri));
            rabbit.ReceiveEndpoint("test-api-observer", endpoint =>
            {
                endpoint.Handler<OffsetOrderPlaced>(context =>
                {
                    testBus!.Placed.Enqueue(context.Message);
                    return Task.CompletedTask;
                });
                endpoint.Handler<OffsetOrderFailed>(context =>
                {
                    testBus!.Failed.Enqueue(context.Message);
                    return Task.CompletedTask;
                });
                endpoint.Handler<OrderRefundAcknowledged>(context =>
                {
                    testBus!.RefundAcknowledgements.Enqueue(context.Message);
                    return Task.CompletedTask;
                });
            });
        });
        testBus = new TestBus(bus);
        await bus.StartAsync();
        return testBus;
    }

    public Task PublishAsync<T>(T message, Guid messageId) where T : class =>
        bus.Publish(message, context => context.MessageId = messageId);

    /// <summary>What the Api's admin replay publishes.</summary>
    public Task RequestReplayAsync(Guid orderId, Guid? requestId = null) =>
        PublishAsync(new FulfillmentReplayRequested(orderId, "test operator", "cause fixed", requestId), Guid.NewGuid());

    public Task RefundAsync(Guid orderId, Guid? messageId = null) =>
        bus.Publish(new OrderRefunded(orderId, 100_428, DateTimeOffset.UtcNow), context => context.MessageId = messageId ?? NewId.NextGuid());

    public static PaymentCompleted Payment(Guid orderId, decimal tons = 2.5m, int portfolioId = 21) =>
        new(orderId, $"cs_test_{orderId:N}", "pi_test", tons, portfolioId, (long)Math.Ceiling(tons * 401.71m * 100), "usd", "owner@yacht.example", DateTimeOffset.UtcNow);

    public ValueTask DisposeAsync() => new(bus.StopAsync());
}
