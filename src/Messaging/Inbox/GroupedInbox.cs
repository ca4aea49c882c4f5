using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Messaging.Inbox;

/// <summary>
/// The inbox of every consumer: applies a delivery's work at most once per (message id, consumer), with the inbox row
/// committed in the same write transaction as the work and any outbox rows it adds. The messages being consumed at
/// once are processed in one transaction, one fsync (group commit), each with its own inbox row and its own work, in
/// arrival order, exactly as one message per transaction would: a (message id, consumer) seen before, or earlier in
/// the same batch, changes nothing. The work runs on the batch's context (tracked entities are shared, so a second
/// message for the same row sees the first one's change), and each delivery is acknowledged only after the commit
/// that holds it. A consumer that reads the same kind of row for every delivery loads it once per batch
/// (<see cref="IInboxBatch{TContext}"/>). A batch that fails is run again one message per transaction, so one failing
/// message fails alone and goes to its consumer's retry policy; another replica may commit the same inbox row
/// meanwhile (PostgreSQL): run again alone, that delivery is answered as already processed.
/// </summary>
public sealed class GroupedInbox<TContext>(
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<GroupedInbox<TContext>> logger)
    : DatabaseGroupCommitWriter<TContext, GroupedInbox<TContext>.Delivery, GroupedInbox<TContext>.Outcome>(scopes, logger, "consumed messages")
    where TContext : MessagingDbContext
{
    private static readonly Outcome AlreadyProcessed = new(false);
    private static readonly Outcome Processed = new(true);

    /// <summary>
    /// Applies <paramref name="work"/> (on the context it is given) at most once per (message id, consumer);
    /// false when the message had already been processed.
    /// </summary>
    public Task<bool> ProcessOnceAsync(ConsumeContext context, string consumer, Func<TContext, Task> work) =>
        ProcessAsync(context, consumer, null, (db, _) => work(db));

    /// <summary>
    /// As <see cref="ProcessOnceAsync(ConsumeContext, string, Func{TContext, Task})"/>, with what the consumer's
    /// deliveries of the batch share (<typeparamref name="TBatch"/>, loaded once per batch) handed to the work.
    /// </summary>
    public Task<bool> ProcessOnceAsync<TBatch>(ConsumeContext context, string consumer, Func<TContext, TBatch, Task> work)
        where TBatch : class, IInboxBatch<TContext>, new() =>
        ProcessAsync(context, consumer, static () => new TBatch(), (db, batch) => work(db, (TBatch)batch!));

    private async Task<bool> ProcessAsync(ConsumeContext context, string consumer, Func<IInboxBatch<TContext>>? newBatch,
        Func<TContext, IInboxBatch<TContext>?, Task> work)
    {
        var messageId = context.MessageId
            ?? throw new InvalidOperationException($"{consumer} received a message without a MessageId; it cannot be de-duplicated.");
        var outcome = await WriteAsync(new Delivery(messageId, consumer, context, newBatch, work, Activity.Current),
            "The service is stopping and records no more messages; the broker delivers this one again.");
        return outcome.FirstTime;
    }

    protected override async Task<Applied> ApplyAsync(TContext db, IReadOnlyList<Delivery> batch)
    {
        var now = time.GetUtcNow();
        var messageIds = batch.Select(d => d.MessageId).Distinct().ToList();
        var seen = (await db.InboxMessages.AsNoTracking()
                .Where(m => messageIds.Contains(m.MessageId))
                .Select(m => new { m.MessageId, m.Consumer })
                .ToListAsync())
            .Select(m => (m.MessageId, m.Consumer))
            .ToHashSet();
        var shared = await LoadSharedAsync(db, batch, seen);
        var outcomes = new Outcome[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var delivery = batch[i];
            if (!seen.Add((delivery.MessageId, delivery.Consumer)))
            {
                outcomes[i] = AlreadyProcessed;
                continue;
            }

            db.InboxMessages.Add(new InboxMessage { MessageId = delivery.MessageId, Consumer = delivery.Consumer, ProcessedAt = now });
            outcomes[i] = await CallerTrace.RunAsync(delivery.Activity, async () =>
            {
                await delivery.Work(db, shared.GetValueOrDefault(delivery.Consumer));
                return Processed;
            });
        }

        return new Applied(outcomes);
    }

    /// <summary>Each consumer's <see cref="IInboxBatch{TContext}"/>, loaded with its first-time deliveries of the batch.</summary>
    private static async Task<Dictionary<string, IInboxBatch<TContext>>> LoadSharedAsync(TContext db, IReadOnlyList<Delivery> batch,
        HashSet<(Guid, string)> seen)
    {
        var shared = new Dictionary<string, IInboxBatch<TContext>>(StringComparer.Ordinal);
        foreach (var consumer in batch.Where(d => d.NewBatch is not null && !seen.Contains((d.MessageId, d.Consumer))).GroupBy(d => d.Consumer))
        {
            var loaded = consumer.First().NewBatch!();
            await loaded.LoadAsync(db, [.. consumer.Select(d => d.Context)]);
            shared[consumer.Key] = loaded;
        }

        return shared;
    }

    /// <summary>The primary key is the backstop: another replica committed this delivery's inbox row first.</summary>
    protected override async Task<Outcome?> FindAppliedAsync(TContext db, Delivery delivery) =>
        await db.InboxMessages.AnyAsync(m => m.MessageId == delivery.MessageId && m.Consumer == delivery.Consumer)
            ? AlreadyProcessed
            : null;

    /// <param name="NewBatch">Creates what the consumer's deliveries of a batch share; null when they share nothing.</param>
    /// <param name="Activity">The consumer's activity: the trace the work continues.</param>
    public sealed record Delivery(Guid MessageId, string Consumer, ConsumeContext Context, Func<IInboxBatch<TContext>>? NewBatch,
        Func<TContext, IInboxBatch<TContext>?, Task> Work, Activity? Activity);

    /// <param name="FirstTime">False when the message had already been processed (a redelivery or a copy).</param>
    public sealed record Outcome(bool FirstTime);
}
