using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PuffinOffset.Platform;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace PuffinOffset.Messaging;

/// <summary>
/// Counts what the consumers' retry policy gave up on: gauge <c>puffin.messaging.error_queue_messages</c> (tag
/// <c>queue</c>) for each of this service's <c>&lt;queue&gt;_error</c> queues, read by a passive declare
/// (which creates nothing) every <see cref="CheckInterval"/>. Anything above zero wants an operator
/// (docs/fulfillment.md, "Messages in an _error queue"), though the resend and the outcome republish
/// recover those orders on their own.
/// </summary>
public sealed partial class ErrorQueueMonitor : BackgroundService
{
    public const string MeterName = "PuffinOffset.Messaging";
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(30);

    private readonly Uri _brokerUri;
    private readonly IReadOnlyList<string> _errorQueues;
    private readonly TimeProvider _time;
    private readonly ILogger<ErrorQueueMonitor> _logger;
    private readonly Dictionary<string, long> _counts = [];
    private readonly Lock _countsLock = new();

    public ErrorQueueMonitor(Uri brokerUri, IReadOnlyList<string> consumerQueues, IMeterFactory meterFactory, TimeProvider time, ILogger<ErrorQueueMonitor> logger)
    {
        _brokerUri = brokerUri;
        _errorQueues = consumerQueues.Select(q => q + "_error").ToList();
        _time = time;
        _logger = logger;
        meterFactory.Create(MeterName).CreateObservableGauge("puffin.messaging.error_queue_messages", Observe, "{message}",
            "Messages the consumers' retries gave up on, waiting in an _error queue.");
    }

    public IReadOnlyList<string> ErrorQueues => _errorQueues;

    // The broker away: the gauge keeps its last values and the next round tries again.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicPass.RunEveryAsync(CheckInterval, _time, CountOnceAsync, ex => LogCountFailed(_logger, ex), stoppingToken);

    /// <summary>Reads every error queue's depth once; a queue not declared yet (nothing ever failed) counts 0.</summary>
    public async Task CountOnceAsync(CancellationToken cancellationToken)
    {
        var factory = new ConnectionFactory { Uri = _brokerUri, ClientProvidedName = "error-queue-monitor" };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        foreach (var queue in _errorQueues)
        {
            long count;
            // A passive declare of a missing queue closes the channel (404), so one channel per queue.
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            try
            {
                count = (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 404)
            {
                count = 0;
            }

            lock (_countsLock)
            {
                _counts[queue] = count;
            }

            if (count > 0)
            {
                LogMessagesInErrorQueue(_logger, queue, count);
            }
        }
    }

    private IEnumerable<Measurement<long>> Observe()
    {
        lock (_countsLock)
        {
            return _counts.Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("queue", c.Key))).ToList();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} messages wait in {Queue}: move them back or discard them from the operator console (docs/console.md, Dead letters)")]
    private static partial void LogMessagesInErrorQueue(ILogger logger, string queue, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting the _error queues failed; retrying at the next round")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);
}
