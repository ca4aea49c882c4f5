using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// Group commit of fulfilment outcomes (Placed, Failed, a retry scheduled; each with its outbox message and the
/// lease handed back): the outcomes of concurrent Wren calls that arrive while a commit is being made are
/// committed together in one transaction, one fsync; each processor awaits the commit that holds its outcome and
/// only then logs and counts it. One bad outcome (a lost lease: another replica took the fulfilment, its version
/// moved on) fails alone with <see cref="DbUpdateConcurrencyException"/>.
/// Every update writes only the columns the outcome changed and checks the version the processor last committed,
/// so a refund recorded meanwhile (which leaves the version alone) is kept; on PostgreSQL a refund committed on a
/// row of the batch is a serialization failure, and the batch runs again (docs/architecture.md, "Write transactions").
/// </summary>
public sealed class FulfillmentOutcomeWriter(
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<FulfillmentOutcomeWriter> logger)
    : GroupCommitWriter<FulfillmentOutcomeWriter.Outcome, OffsetFulfillment>(logger, "fulfilment outcomes")
{
    /// <summary>
    /// Commits the changes the processor made to <paramref name="fulfillment"/> since it was last committed as
    /// <paramref name="committed"/> (its values then, the version included), with the outcome's message when it is
    /// final. Completes once that commit is durable.
    /// </summary>
    public Task CommitAsync(OffsetFulfillment fulfillment, PropertyValues committed) =>
        WriteAsync(new Outcome(fulfillment, committed, Activity.Current),
            "Fulfillment is stopping and records no more outcomes; the fulfilment stays Attempting and is looked up later.");

    protected override async Task<IReadOnlyList<OffsetFulfillment>> WriteBatchAsync(IReadOnlyList<Outcome> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var now = time.GetUtcNow();
        foreach (var outcome in batch)
        {
            // Tracked as last committed: the save writes what differs, and its concurrency check is that the row is
            // still as this replica last committed it (its version, so its lease included).
            db.Attach(outcome.Fulfillment).OriginalValues.SetValues(outcome.Committed);

            // The outcome's message carries the trace of the order's own step, not the writer's.
            CallerTrace.Run(outcome.Step, () => outcome.Fulfillment.EnqueueOutcome(db, now));
        }

        await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return [.. batch.Select(o => o.Fulfillment)];
    }

    /// <param name="Step">The processor's activity: the trace the outcome message continues.</param>
    /// <param name="Committed">The fulfilment's values as the processor last committed them.</param>
    public sealed record Outcome(OffsetFulfillment Fulfillment, PropertyValues Committed, Activity? Step);
}
