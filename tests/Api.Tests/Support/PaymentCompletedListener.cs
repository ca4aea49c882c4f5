using System.Collections.Concurrent;
using MassTransit;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>Stands in for Fulfillment: a queue bound to PaymentCompleted and FulfillmentReplayRequested on the test's vhost, recording what arrives.</summary>
public sealed class PaymentCompletedListener : IAsyncDisposable
{
    private readonly IBusControl _bus;

    public ConcurrentQueue<(Guid? MessageId, PaymentCompleted Message)> Received { get; } = new();

    public ConcurrentQueue<FulfillmentReplayRequested> ReplayRequests { get; } = new();

    private PaymentCompletedListener(string brokerUri)
    {
        _bus = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(brokerUri));
            rabbit.ReceiveEndpoint("test-payment-completed", endpoint =>
            {
                endpoint.Handler<PaymentCompleted>(context =>
                {
                    Received.Enqueue((context.MessageId, context.Message));
                    return Task.CompletedTask;
                });
                endpoint.Handler<FulfillmentReplayRequested>(context =>
                {
                    ReplayRequests.Enqueue(context.Message);
                    return Task.CompletedTask;
                });
            });
        });
    }

    public static async Task<PaymentCompletedListener> StartAsync(string brokerUri)
    {
        var listener = new PaymentCompletedListener(brokerUri);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await listener._bus.StartAsync(timeout.Token);
        return listener;
    }

    public IBus Publisher => _bus;

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
