using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// One replica migrates at a time. EF Core's own lock on PostgreSQL lasts one migration's transaction, and
/// replicas starting together on a fresh database could both apply the same migration ("column already
/// exists"). A session advisory lock around the whole migrate serializes them: the next one finds nothing
/// pending. It ends with its connection, so a replica that dies while migrating releases it. SQLite needs none
/// (one process per file).
/// </summary>
internal static class MigrationLock
{
    public static async Task<IAsyncDisposable?> AcquireAsync(DbContext db, string database, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql())
        {
            return null;
        }

        var connection = new NpgsqlConnection(db.Database.GetConnectionString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            // No command timeout: the wait lasts as long as another replica's migration, which on a loaded machine took
            // longer than the default 30 s and crashed the waiting replica at start. The holder's death ends it.
            await using var command = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection) { CommandTimeout = 0 };
            command.Parameters.AddWithValue("key", OneReplica.LockKey($"migrations:{database}"));
            await command.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
