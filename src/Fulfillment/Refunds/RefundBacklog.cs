using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace PuffinOffset.Fulfillment.Refunds;

/// <summary>
/// Whether the refunds waiting for this service have all been applied. A payment consumed from a backlog (it waited
/// in the broker, e.g. while Fulfillment was down) may have its full refund waiting beside it on the
/// <c>order-refunded</c> queue; consumed concurrently, the payment would win the race and be bought. Such a
/// payment's first attempt waits (<see cref="OffsetFulfillment.AwaitsRefundBacklog"/>) until this process has seen
/// that queue empty (a passive declare: its ready count) with no refund in its own consume pipeline, after the payment
/// was scheduled. Then every refund that was queued before it has committed. Refunds another replica holds
/// unacknowledged are not visible here: the grace before the first attempt (<c>Fulfillment:BacklogRefundGrace</c>)
/// covers them. See docs/fulfillment.md, "Refunds".
/// </summary>
public sealed partial class RefundBacklog(IOptions<BrokerOptions> broker, TimeProvider time, ILogger<RefundBacklog> logger) : IReceiveObserver
{
    /// <summary>The queue of <see cref="OrderRefundedConsumer"/>, as the endpoint name formatter names it.</summary>
    public static readonly string Queue = KebabCaseEndpointNameFormatter.Instance.Consumer<OrderRefundedConsumer>();

    private readonly ConcurrentDictionary<ReceiveContext, byte> _inFlight = new();
    private readonly Lock _lock = new();
    private DateTimeOffset _drainedSeenAt = DateTimeOffset.UnixEpoch;

    /// <summary>The last moment the refund queue was seen drained here (the epoch: not yet since start).</summary>
    public DateTimeOffset DrainedSeenAt
    {
        get
        {
            lock (_lock)
            {
                return _drainedSeenAt;
            }
        }
    }

    /// <summary>Looks at the queue once; returns <see cref="DrainedSeenAt"/>, moved on when it was drained just now.</summary>
    public async Task<DateTimeOffset> CheckAsync(CancellationToken cancellationToken)
    {
        var lookedAt = time.GetUtcNow();
        if (!_inFlight.IsEmpty)
        {
            return DrainedSeenAt;
        }

        var ready = await ReadyCountAsync(cancellationToken);
        // Still idle after the declare: nothing was delivered to us between the two looks and is being applied.
        if (ready == 0 && _inFlight.IsEmpty)
        {
            lock (_lock)
            {
                _drainedSeenAt = lookedAt > _drainedSeenAt ? lookedAt : _drainedSeenAt;
            }
        }
        else
        {
            LogRefundsWaiting(ready, _inFlight.Count);
        }

        return DrainedSeenAt;
    }

    private async Task<uint> ReadyCountAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = broker.Value.Uri!, ClientProvidedName = "refund-backlog" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            return (await channel.QueueDeclarePassiveAsync(Queue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            // Not declared yet: nothing was ever queued for it.
            return 0;
        }
    }

    public Task PreReceive(ReceiveContext context)
    {
        // Every endpoint's deliveries pass here (a bus-wide observer): only the refunds count.
        if (context.InputAddress?.Segments is [.., var last] && last == Queue)
        {
            _inFlight.TryAdd(context, 0);
        }

        return Task.CompletedTask;
    }

    public Task PostReceive(ReceiveContext context)
    {
        _inFlight.TryRemove(context, out _);
        return Task.CompletedTask;
    }

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        _inFlight.TryRemove(context, out _);
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType) where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception) where T : class => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Refunds still waiting ({Ready} queued, {InFlight} being applied here): payments consumed from a backlog wait for them")]
    private partial void LogRefundsWaiting(uint ready, int inFlight);
}
