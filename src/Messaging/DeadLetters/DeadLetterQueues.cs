using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace PuffinOffset.Messaging.DeadLetters;

/// <summary>
/// Reads and empties the dead-letter queues over plain AMQP (no management or shovel plugin): a passive declare
/// counts a queue without creating it, a <c>basic.get</c> returned with a requeue peeks at its oldest message,
/// and a move republishes each message with its own properties and headers to the queue it came from, waits for
/// the broker's confirm and only then acks it. A process dying between the two leaves the message in both
/// queues; the consumers' inbox (keyed by message id) makes the second delivery change nothing. A move or
/// discard takes at most the messages the queue held when it started, so a message that fails again and comes
/// back meanwhile is left for the next action rather than looping.
/// </summary>
public sealed partial class DeadLetterQueues(IOptions<BrokerOptions> options, ILogger<DeadLetterQueues> logger)
{
    /// <summary>Each known dead-letter queue with its depth and, when it holds any, its oldest message.</summary>
    public async Task<IReadOnlyList<DeadLetterQueueState>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync("dead-letter-list", cancellationToken);
        var states = new List<DeadLetterQueueState>();
        foreach (var queue in DeadLetterQueue.All)
        {
            // A passive declare of a missing queue closes the channel (404), so one channel per queue.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var count = await CountAsync(channel, queue, cancellationToken);
            states.Add(new DeadLetterQueueState(queue.Name, queue.Service, queue.SourceQueue, queue.Kind, count,
                count > 0 ? await PeekAsync(channel, queue, cancellationToken) : null));
        }

        return states;
    }

    /// <summary>Puts the messages back on the queue they came from, for their consumer to take again.</summary>
    public Task<DeadLetterBatch> MoveBackAsync(DeadLetterQueue queue, CancellationToken cancellationToken) =>
        TakeAsync(queue, moveBack: true, cancellationToken);

    /// <summary>Drops the messages for good (their orders are recovered by the resend, or need nothing).</summary>
    public Task<DeadLetterBatch> DiscardAsync(DeadLetterQueue queue, CancellationToken cancellationToken) =>
        TakeAsync(queue, moveBack: false, cancellationToken);

    private async Task<DeadLetterBatch> TakeAsync(DeadLetterQueue queue, bool moveBack, CancellationToken cancellationToken)
    {
        await using var connection = await ConnectAsync("dead-letter-action", cancellationToken);
        // Tracked confirms: BasicPublishAsync returns once the broker has the copy, and throws if it refused or
        // could not route it (mandatory), in which case the original is not acked and stays where it was.
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        var found = await CountAsync(channel, queue, cancellationToken);
        var handled = new List<DeadLetter>();
        try
        {
            for (var i = 0; i < found; i++)
            {
                if (await channel.BasicGetAsync(queue.Name, autoAck: false, cancellationToken) is not { } message)
                {
                    break;
                }

                var body = message.Body.ToArray();
                var letter = DeadLetter.Read(message.BasicProperties, body);
                if (moveBack)
                {
                    await channel.BasicPublishAsync("", queue.SourceQueue, mandatory: true, new BasicProperties(message.BasicProperties), body, cancellationToken);
                }

                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                handled.Add(letter);
            }
        }
        catch (Exception ex) when (ex is RabbitMQClientException or IOException or TimeoutException)
        {
            // The message in hand was not acked: the broker keeps it in the dead-letter queue.
            LogInterrupted(logger, queue.Name, handled.Count, found, ex);
            return new DeadLetterBatch(found, handled, Interrupted: true);
        }

        return new DeadLetterBatch(found, handled, Interrupted: false);
    }

    // The URI is validated at start (BrokerOptions), before any request can get here.
    private async Task<IConnection> ConnectAsync(string name, CancellationToken cancellationToken) =>
        await new ConnectionFactory { Uri = options.Value.Uri!, ClientProvidedName = name }.CreateConnectionAsync(cancellationToken);

    /// <summary>The queue's depth; a queue never declared (nothing ever failed there) holds nothing.</summary>
    private static async Task<long> CountAsync(IChannel channel, DeadLetterQueue queue, CancellationToken cancellationToken)
    {
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue.Name, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    private static async Task<DeadLetter?> PeekAsync(IChannel channel, DeadLetterQueue queue, CancellationToken cancellationToken)
    {
        if (await channel.BasicGetAsync(queue.Name, autoAck: false, cancellationToken) is not { } message)
        {
            return null;
        }

        var letter = DeadLetter.Read(message.BasicProperties, message.Body.Span);
        // Back to its place at the head of the queue. A nack, not a reject: RabbitMQ 4.3+ counts a rejected message
        // against a quorum queue's delivery limit, so a console refreshing every 30 s would end up dropping it.
        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, cancellationToken);
        return letter;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The broker failed while emptying {Queue}: {Handled} of {Found} message(s) were handled, the rest stay in it")]
    private static partial void LogInterrupted(ILogger logger, string queue, int handled, long found, Exception exception);
}

/// <summary>A dead-letter queue as the console shows it; <c>Oldest</c> is null when it is empty.</summary>
public sealed record DeadLetterQueueState(string Queue, string Service, string SourceQueue, string Kind, long Messages, DeadLetter? Oldest);

/// <summary>
/// What a move or discard did: the messages the queue held when it started, those handled, and whether the broker
/// failed before the end (the rest are still in the queue).
/// </summary>
public sealed record DeadLetterBatch(long Found, IReadOnlyList<DeadLetter> Handled, bool Interrupted);
