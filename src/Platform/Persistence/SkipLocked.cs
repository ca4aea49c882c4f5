using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// Claiming rows among replicas: a query tagged with <see cref="ForUpdateSkipLocked{T}"/> locks the rows it
/// returns until its transaction ends, and skips rows another transaction has locked, so concurrent
/// replicas take different rows instead of queuing behind (or duplicating) each other's work. The query
/// stays LINQ on both engines; on PostgreSQL the interceptor appends the locking clause, on SQLite
/// (one process per file, one writer at a time) the tag is only a comment.
/// </summary>
public static class SkipLocked
{
    public const string Tag = "puffin:for-update-skip-locked";

    public static IQueryable<T> ForUpdateSkipLocked<T>(this IQueryable<T> query) => query.TagWith(Tag);

    /// <summary>PostgreSQL only (registered with the Npgsql DbContext).</summary>
    public sealed class Interceptor : DbCommandInterceptor
    {
        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            AppendLockingClause(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            AppendLockingClause(command);
            return ValueTask.FromResult(result);
        }

        private static void AppendLockingClause(DbCommand command)
        {
            if (command.CommandText.StartsWith($"-- {Tag}", StringComparison.Ordinal))
            {
                command.CommandText = command.CommandText.TrimEnd().TrimEnd(';') + "\nFOR UPDATE SKIP LOCKED";
            }
        }
    }
}
