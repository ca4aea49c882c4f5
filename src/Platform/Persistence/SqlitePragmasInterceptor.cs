using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// Every connection: WAL (readers never block the writer), synchronous=FULL (a commit that returned is
/// on disk even if the machine loses power; money depends on it) and a busy timeout (concurrent
/// writers wait for the lock instead of failing).
/// </summary>
public sealed class SqlitePragmasInterceptor : DbConnectionInterceptor
{
    public const int BusyTimeoutMilliseconds = 10_000;

    private static readonly string Pragmas =
        $"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout={BusyTimeoutMilliseconds}; PRAGMA foreign_keys=ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
