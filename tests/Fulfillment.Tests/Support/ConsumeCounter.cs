using MassTransit;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>Counts finished PaymentCompleted deliveries, so a test can wait until every duplicate was handled.</summary>
public sealed class ConsumeCounter : IConsumeObserver
{
    private int _consumed;

    public int Consumed => Volatile.Read(ref _consumed);

    public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context) where T : class
    {
        if (context.Message is PaymentCompleted)
        {
            Interlocked.Increment(ref _consumed);
        }

        return Task.CompletedTask;
    }

    public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
