using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// A <see cref="GroupCommitWriter{TChange, TResult}"/> that reads and writes <typeparamref name="TContext"/>: one scope
/// and one write transaction per batch (docs/architecture.md, "Write transactions on SQLite and PostgreSQL"), saved
/// and committed here. A writer supplies only <see cref="ApplyAsync"/> (what the batch does, inside the transaction)
/// and, if a change can be applied by another writer first, <see cref="FindAppliedAsync"/>.
/// </summary>
public abstract class DatabaseGroupCommitWriter<TContext, TChange, TResult>(IServiceScopeFactory scopes, ILogger logger, string changes)
    : GroupCommitWriter<TChange, TResult>(logger, changes)
    where TContext : DbContext
    where TResult : class
{
    /// <summary>The batch's results, one per change in order, and what to report once its commit returned.</summary>
    protected sealed record Applied(IReadOnlyList<TResult> Results, Action? AfterCommit = null);

    /// <summary>Applies the batch on <paramref name="db"/>, inside its write transaction; saving and committing are the base's.</summary>
    protected abstract Task<Applied> ApplyAsync(TContext db, IReadOnlyList<TChange> batch);

    /// <summary>
    /// Whether a batch decides on what a query did not find (an order no row names yet), which another replica's
    /// concurrent batch can make true: then its transaction is serializable on PostgreSQL, which refuses one of two
    /// such crossing batches (the rerun sees the other's commit) where repeatable read would commit both.
    /// </summary>
    protected virtual bool DecidesOnAbsentRows => false;

    /// <summary>Looks, on a fresh context, for the change applied by another writer: its result, or null.</summary>
    protected virtual Task<TResult?> FindAppliedAsync(TContext db, TChange change) => Task.FromResult<TResult?>(default);

    protected sealed override async Task<IReadOnlyList<TResult>> WriteBatchAsync(IReadOnlyList<TChange> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        db.Database.AutoSavepointsEnabled = false; // the batch commits or rolls back as a whole
        await using var transaction = await db.BeginWriteTransactionAsync(DecidesOnAbsentRows, CancellationToken.None);
        var applied = await ApplyAsync(db, batch);
        await db.SaveChangesAsync(CancellationToken.None);
        if (BeforeCommit is { } beforeCommit)
        {
            await beforeCommit();
        }

        await transaction.CommitAsync(CancellationToken.None);
        applied.AfterCommit?.Invoke();
        return applied.Results;
    }

    protected sealed override async Task<TResult?> AppliedElsewhereAsync(TChange change)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await FindAppliedAsync(scope.ServiceProvider.GetRequiredService<TContext>(), change);
    }
}
