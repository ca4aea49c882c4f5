using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Inbox;

/// <summary>
/// <see cref="InboxExtensions.ProcessOnceAsync{TContext}(TContext, ConsumeContext, string, TimeProvider, Func{CancellationToken, Task})"/>
/// with group commit: the messages being consumed at once are processed in one transaction, one fsync, each with
/// its own inbox row and its own work, in arrival order, exactly as one message per transaction would: a
/// (message id, consumer) seen before, or earlier in the same batch, changes nothing. The work runs on the
/// batch's context (tracked entities are shared, so a second message for the same row sees the first one's
/// change), and each delivery is acknowledged only after the commit that holds it. A batch that fails is run again
/// one message per transaction, so one failing message fails alone and goes to its consumer's retry policy.
/// Another replica may commit the same inbox row meanwhile (PostgreSQL): run again alone, that delivery is
/// answered as already processed.
/// </summary>
public sealed class GroupedInbox<TContext>(
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<GroupedInbox<TContext>> logger)
    : GroupCommitWriter<GroupedInbox<TContext>.Delivery, GroupedInbox<TContext>.Outcome>(logger, "consumed messages")
    where TContext : MessagingDbContext
{
    private static readonly Outcome AlreadyProcessed = new(false);
    private static readonly Outcome Processed = new(true);

    /// <summary>
    /// Applies <paramref name="work"/> (on the context it is given) at most once per (message id, consumer);
    /// false when the message had already been processed.
    /// </summary>
    public async Task<bool> ProcessOnceAsync(ConsumeContext context, string consumer, Func<TContext, Task> work)
    {
        var messageId = context.MessageId
            ?? throw new InvalidOperationException($"{consumer} received a message without a MessageId; it cannot be de-duplicated.");
        var outcome = await WriteAsync(new Delivery(messageId, consumer, work, Activity.Current),
            "The service is stopping and records no more messages; the broker delivers this one again.");
        return outcome.FirstTime;
    }

    protected override async Task<IReadOnlyList<Outcome>> WriteBatchAsync(IReadOnlyList<Delivery> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var now = time.GetUtcNow();
        await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
        var messageIds = batch.Select(d => d.MessageId).Distinct().ToList();
        var seen = (await db.InboxMessages.AsNoTracking()
                .Where(m => messageIds.Contains(m.MessageId))
                .Select(m => new { m.MessageId, m.Consumer })
                .ToListAsync())
            .Select(m => (m.MessageId, m.Consumer))
            .ToHashSet();
        var outcomes = new Outcome[batch.Count];
        var writerActivity = Activity.Current;
        for (var i = 0; i < batch.Count; i++)
        {
            var delivery = batch[i];
            if (!seen.Add((delivery.MessageId, delivery.Consumer)))
            {
                outcomes[i] = AlreadyProcessed;
                continue;
            }

            db.InboxMessages.Add(new InboxMessage { MessageId = delivery.MessageId, Consumer = delivery.Consumer, ProcessedAt = now });
            // The delivery's own trace: what its work writes (an outbox row, a log) belongs to it.
            Activity.Current = delivery.Activity;
            try
            {
                await delivery.Work(db);
            }
            finally
            {
                Activity.Current = writerActivity;
            }

            outcomes[i] = Processed;
        }

        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return outcomes;
    }

    /// <summary>The primary key is the backstop: another replica committed this delivery's inbox row first.</summary>
    protected override async Task<Outcome?> RecoverAsync(Delivery delivery, Exception failure)
    {
        if (!DatabaseErrors.IsUniqueViolation(failure) && !DatabaseErrors.IsSerializationFailure(failure))
        {
            return null;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        return await db.InboxMessages.AnyAsync(m => m.MessageId == delivery.MessageId && m.Consumer == delivery.Consumer)
            ? AlreadyProcessed
            : null;
    }

    /// <param name="Activity">The consumer's activity: the trace the work continues.</param>
    public sealed record Delivery(Guid MessageId, string Consumer, Func<TContext, Task> Work, Activity? Activity);

    /// <param name="FirstTime">False when the message had already been processed (a redelivery or a copy).</param>
    public sealed record Outcome(bool FirstTime);
}
