using Npgsql;

namespace PuffinOffset.Replica.Tests;

/// <summary>What the services' own databases say, read with plain SQL as an operator would (the services own the schemas).</summary>
public static class ReplicaDatabases
{
    /// <summary>Fulfilments the process <paramref name="processId"/> holds mid-attempt: Attempting, leased to it (owner "machine/pid/…").</summary>
    public static Task<long> AttemptingHeldByAsync(string fulfillmentDatabase, int processId) =>
        ScalarAsync(fulfillmentDatabase, """
            SELECT count(*) FROM offset_fulfillments
            WHERE "State" = 'Attempting' AND "LeaseOwner" LIKE @owner AND "LeaseExpiresAt" > now()
            """, ("owner", $"%/{processId}/%"));

    /// <summary>The orders of the fulfilments counted by <see cref="AttemptingHeldByAsync"/>.</summary>
    public static async Task<List<Guid>> AttemptingOrdersHeldByAsync(string fulfillmentDatabase, int processId)
    {
        await using var connection = new NpgsqlConnection(fulfillmentDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT "OrderId" FROM offset_fulfillments
            WHERE "State" = 'Attempting' AND "LeaseOwner" LIKE @owner AND "LeaseExpiresAt" > now()
            """, connection);
        command.Parameters.AddWithValue("owner", $"%/{processId}/%");
        await using var reader = await command.ExecuteReaderAsync();
        var orders = new List<Guid>();
        while (await reader.ReadAsync())
        {
            orders.Add(reader.GetGuid(0));
        }

        return orders;
    }

    /// <summary>Outbox rows not yet published (parked ones included).</summary>
    public static Task<long> PendingOutboxAsync(string database) =>
        ScalarAsync(database, """SELECT count(*) FROM outbox_messages WHERE "DispatchedAt" IS NULL""");

    public static Task<long> ParkedOutboxAsync(string database) =>
        ScalarAsync(database, """SELECT count(*) FROM outbox_messages WHERE "ParkedAt" IS NOT NULL""");

    public static Task<long> OrdersInStatusAsync(string ordersDatabase, string status) =>
        ScalarAsync(ordersDatabase, """SELECT count(*) FROM orders WHERE "Status" = @status""", ("status", status));

    public static Task<long> OrdersNeedingAttentionAsync(string ordersDatabase) =>
        ScalarAsync(ordersDatabase, """SELECT count(DISTINCT "OrderId") FROM order_attention WHERE "ResolvedAt" IS NULL""");

    /// <summary>Each order's status and Wren order id.</summary>
    public static async Task<Dictionary<Guid, (string Status, string? WrenOrderId)>> OrdersAsync(string ordersDatabase)
    {
        await using var connection = new NpgsqlConnection(ordersDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT "Id", "Status", "WrenOrderId" FROM orders""", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var orders = new Dictionary<Guid, (string, string?)>();
        while (await reader.ReadAsync())
        {
            orders[reader.GetGuid(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return orders;
    }

    /// <summary>Fulfilment rows by state, with their attempts and transient failures summed.</summary>
    public static async Task<List<(string State, long Count, long Attempts, long TransientFailures)>> FulfillmentsByStateAsync(string fulfillmentDatabase)
    {
        await using var connection = new NpgsqlConnection(fulfillmentDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT "State", count(*), sum("Attempts"), sum("TransientFailures") FROM offset_fulfillments GROUP BY "State" ORDER BY 1
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var states = new List<(string, long, long, long)>();
        while (await reader.ReadAsync())
        {
            states.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return states;
    }

    private static async Task<long> ScalarAsync(string database, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
