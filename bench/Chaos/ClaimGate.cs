using Npgsql;

namespace PuffinOffset.Chaos;

/// <summary>
/// Holds a Fulfillment replica's claim of an attempt (Scheduled → Attempting) at its COMMIT, so that the soak can
/// stop the replica before it has read that the claim committed, and therefore before its lease fence. A deferred
/// constraint trigger, added to the Fulfillment database by the soak (not by the service), takes a shared advisory
/// lock keyed by the claiming replica's process id when the claim commits; while the soak holds that key exclusively,
/// the replica's COMMIT waits. The first replica to claim is held; the others' claims go on. A random SIGSTOP lands in the milliseconds between a claim and its POST too rarely to
/// prove the fence; this lands there every time. PostgreSQL only (on SQLite one Fulfillment process has no rival).
/// </summary>
public sealed class ClaimGate : IAsyncDisposable
{
    private const int LockClass = 4242;

    private readonly NpgsqlConnection _connection;
    private readonly HashSet<int> _closed;

    private ClaimGate(NpgsqlConnection connection, IEnumerable<int> pids)
    {
        _connection = connection;
        _closed = [.. pids];
    }

    /// <summary>Once the service has migrated its database: the trigger, replaced if an earlier run left one.</summary>
    public static async Task InstallAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        // The lease owner is "machine/pid/nonce" (FulfillmentReplica.Id).
        command.CommandText = $"""
            CREATE OR REPLACE FUNCTION chaos_claim_gate() RETURNS trigger LANGUAGE plpgsql AS $gate$
            BEGIN
                PERFORM pg_advisory_xact_lock_shared({LockClass}, split_part(NEW."LeaseOwner", '/', 2)::int);
                RETURN NULL;
            END
            $gate$;
            DROP TRIGGER IF EXISTS chaos_claim_gate ON offset_fulfillments;
            CREATE CONSTRAINT TRIGGER chaos_claim_gate AFTER UPDATE ON offset_fulfillments
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
                WHEN (OLD."State" = 'Scheduled' AND NEW."State" = 'Attempting' AND NEW."LeaseOwner" IS NOT NULL)
                EXECUTE FUNCTION chaos_claim_gate();
            """;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>From now on every claim of the replicas with these process ids waits at its COMMIT.</summary>
    public static async Task<ClaimGate> CloseAsync(string database, IReadOnlyCollection<int> pids)
    {
        var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        var gate = new ClaimGate(connection, pids);
        foreach (var pid in pids)
        {
            await gate.ExecuteAsync($"SELECT pg_advisory_lock({LockClass}, {pid})");
        }

        return gate;
    }

    /// <summary>The process id of the first replica whose claim waits at the gate; null when none came within <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForClaimAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = $"SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint = {LockClass} AND objsubid = 2 " +
                $"AND objid::bigint IN ({string.Join(", ", _closed)}) AND NOT granted LIMIT 1";
            if (await command.ExecuteScalarAsync() is { } pid and not DBNull)
            {
                return Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture);
            }

            await Task.Delay(20);
        }

        return null;
    }

    /// <summary>The orders the replica has committed Attempting for and still holds (the POSTs it is making, or about to).</summary>
    public async Task<HashSet<Guid>> AttemptingAsync(int pid)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = $"""SELECT "OrderId" FROM offset_fulfillments WHERE "State" = 'Attempting' AND "LeaseOwner" LIKE '%/{pid}/%'""";
        await using var reader = await command.ExecuteReaderAsync();
        var orders = new HashSet<Guid>();
        while (await reader.ReadAsync())
        {
            orders.Add(reader.GetGuid(0));
        }

        return orders;
    }

    /// <summary>How many of <paramref name="orders"/> have reached a final state (another replica took them over and finished).</summary>
    public async Task<long> FinishedAsync(IReadOnlyCollection<Guid> orders) =>
        await CountAsync($"""SELECT count(*) FROM offset_fulfillments WHERE "State" IN ('Placed', 'Cancelled', 'Failed') AND "OrderId" IN ({string.Join(", ", orders.Select(o => $"'{o}'"))})""");

    /// <summary>Lets the claims of these replicas commit.</summary>
    public async Task OpenAsync(IEnumerable<int> pids)
    {
        foreach (var pid in pids.Where(_closed.Contains).ToList())
        {
            _closed.Remove(pid);
            await ExecuteAsync($"SELECT pg_advisory_unlock({LockClass}, {pid})");
        }
    }

    /// <summary>Every replica but the one held.</summary>
    public Task OpenAllButAsync(int held) => OpenAsync(_closed.Where(pid => pid != held));

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Closing the connection releases the lock too (a session lock dies with its session).</summary>
    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}

/// <summary>Attempts whose replica the soak stopped between their claim and their lease fence, and when.</summary>
public sealed record StalledClaim(string Replica, TimeSpan At, IReadOnlyCollection<Guid> Orders);
