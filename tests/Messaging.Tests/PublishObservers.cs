using System.Collections.Concurrent;
using MassTransit;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Messaging.Tests;

/// <summary>The first publish of one order's message fails, as a broker refusing it would.</summary>
public sealed class FailFirstPublishOf(Guid orderId) : IPublishObserver
{
    private int _failed;

    public bool Failed => Volatile.Read(ref _failed) == 1;

    public Task PrePublish<T>(PublishContext<T> context) where T : class =>
        context.Message is PaymentCompleted payment && payment.OrderId == orderId && Interlocked.Exchange(ref _failed, 1) == 0
            ? throw new InvalidOperationException("refused by the test")
            : Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}

/// <summary>
/// Counts the broker-confirmed publishes of each message id: a receiver's inbox drops a second copy, so
/// only the publisher's side can show that a row went out twice.
/// </summary>
public sealed class PublishCounter : IPublishObserver
{
    private readonly ConcurrentDictionary<Guid, int> _published = new();

    public int Total => _published.Values.Sum();

    public IReadOnlyDictionary<Guid, int> ByMessageId => _published;

    public Task PrePublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

    public Task PostPublish<T>(PublishContext<T> context) where T : class
    {
        _published.AddOrUpdate(context.MessageId!.Value, 1, (_, count) => count + 1);
        return Task.CompletedTask;
    }

    public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
}
