using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.Platform;

namespace PuffinOffset.Messaging.Persistence;

/// <summary>
/// Deletes published outbox rows and old inbox records so the tables do not grow forever; with several
/// replicas, one of them per pass (<see cref="OneReplica"/>).
/// </summary>
public sealed partial class MessageRetentionService<TContext>(
    IServiceScopeFactory scopeFactory,
    TimeProvider time,
    IOptions<MessageRetentionOptions> options,
    ILogger<MessageRetentionService<TContext>> logger) : BackgroundService
    where TContext : MessagingDbContext
{
    // Retention is housekeeping: a busy or unavailable database just waits for the next round.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicPass.RunEveryAsync(options.Value.Interval, time, PurgeAsync, ex => LogPurgeFailed(logger, ex), stoppingToken);

    public const string JobName = "message-retention";

    /// <summary>One retention pass (none when another replica is running one); returns the number of outbox and inbox rows deleted.</summary>
    public async Task<(int Outbox, int Inbox)> PurgeAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var now = time.GetUtcNow();
        DateTimeOffset? outboxCutoff = now - options.Value.DispatchedOutbox;
        var inboxCutoff = now - options.Value.Inbox;

        var (outbox, inbox) = (0, 0);
        await db.RunExclusiveAsync(JobName, async ct =>
        {
            outbox = await db.OutboxMessages.Where(m => m.DispatchedAt != null && m.DispatchedAt < outboxCutoff).ExecuteDeleteAsync(ct);
            inbox = await db.InboxMessages.Where(m => m.ProcessedAt < inboxCutoff).ExecuteDeleteAsync(ct);
        }, cancellationToken);
        if (outbox + inbox > 0)
        {
            LogPurged(logger, outbox, inbox);
        }

        return (outbox, inbox);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Message retention deleted {OutboxRows} published outbox rows and {InboxRows} inbox records")]
    private static partial void LogPurged(ILogger logger, int outboxRows, int inboxRows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message retention pass failed; retrying at the next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
