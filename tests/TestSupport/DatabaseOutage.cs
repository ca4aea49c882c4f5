using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.TestSupport;

/// <summary>
/// A database that fails every command for a while (a full disk, a restarting server), registered as an
/// <see cref="IInterceptor"/> in the service under test; <see cref="Begin"/> starts the outage.
/// </summary>
public sealed class DatabaseOutage(TimeProvider time) : DbCommandInterceptor
{
    private long _untilTicks;
    private int _failed;

    public int FailedCommands => Volatile.Read(ref _failed);

    public void Begin(TimeSpan duration) => Interlocked.Exchange(ref _untilTicks, (time.GetUtcNow() + duration).UtcTicks);

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        ThrowDuringOutage();
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        ThrowDuringOutage();
        return ValueTask.FromResult(result);
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        ThrowDuringOutage();
        return ValueTask.FromResult(result);
    }

    private void ThrowDuringOutage()
    {
        if (time.GetUtcNow().UtcTicks < Interlocked.Read(ref _untilTicks))
        {
            Interlocked.Increment(ref _failed);
            throw new SqliteException("disk I/O error (a simulated outage)", 10);
        }
    }
}
