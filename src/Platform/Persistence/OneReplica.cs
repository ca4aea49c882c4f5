using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// Background jobs (message retention, resends, reconciliation) that must not run on several replicas at
/// once. Every replica keeps its timer; at each pass it asks PostgreSQL for a transaction-scoped advisory
/// lock named after the job, and only the replica that gets it runs the pass, inside that transaction.
/// The lock ends with the transaction or with the holder's connection, so when that replica dies the next
/// pass of any other one takes over: no leader to elect, nothing to hand back. With SQLite there is one
/// process per database file, so the pass simply runs.
/// </summary>
public static class OneReplica
{
    /// <summary>Runs <paramref name="pass"/> unless another replica is running this job; returns whether it ran.</summary>
    public static async Task<bool> RunExclusiveAsync(this DbContext db, string job, Func<CancellationToken, Task> pass, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql())
        {
            await pass(cancellationToken);
            return true;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var key = LockKey(job);
        var acquired = await db.Database
            .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({key}) AS \"Value\"")
            .SingleAsync(cancellationToken);
        if (!acquired)
        {
            return false;
        }

        await pass(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Advisory locks are numbered: a stable 64-bit number from the job's name.</summary>
    public static long LockKey(string job) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"puffin-offset:{job}")));
}
