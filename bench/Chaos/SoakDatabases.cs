using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace PuffinOffset.Chaos;

/// <summary>An order as the Api's own database has it at the end; <see cref="Attention"/> every attention item's text, or null.</summary>
public sealed record ApiOrder(Guid Id, string Status, string? WrenOrderId, long AmountRefunded, bool Disputed, string? Attention);

/// <summary>What the services' databases say, read with plain SQL as an operator would (the services own the schemas), on either engine.</summary>
public sealed class SoakDatabases(SoakCluster cluster)
{
    public async Task<Dictionary<Guid, ApiOrder>> OrdersAsync()
    {
        await using var connection = await OpenAsync(cluster.OrdersDatabase);
        await using var command = connection.CreateCommand();
        // Attention items live in their own table (one row per item, open or resolved; nobody resolves any during the soak).
        command.CommandText = """SELECT "OrderId", "Text" FROM order_attention ORDER BY "Id" """;
        var attention = new Dictionary<Guid, List<string>>();
        await using (var items = await command.ExecuteReaderAsync())
        {
            while (await items.ReadAsync())
            {
                var orderId = items.GetGuid(0);
                (attention.TryGetValue(orderId, out var texts) ? texts : attention[orderId] = []).Add(items.GetString(1));
            }
        }

        command.CommandText = """SELECT "Id", "Status", "WrenOrderId", "AmountRefunded", "Disputed" FROM orders""";
        await using var reader = await command.ExecuteReaderAsync();
        var orders = new Dictionary<Guid, ApiOrder>();
        while (await reader.ReadAsync())
        {
            var id = reader.GetGuid(0);
            var order = new ApiOrder(id, reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetInt64(3), reader.GetBoolean(4), attention.TryGetValue(id, out var texts) ? string.Join("; ", texts) : null);
            orders[order.Id] = order;
        }

        return orders;
    }

    /// <summary>Fulfilments whose POST's answer was lost and whose last lookup by note (the late-order check) is still to come.</summary>
    public Task<long> LateOrderChecksPendingAsync() =>
        ScalarAsync(cluster.FulfillmentDatabase, """SELECT count(*) FROM offset_fulfillments WHERE "LateOrderCheckPending" AND "State" IN ('Placed', 'Cancelled', 'Failed')""");

    /// <summary>Outbox rows not yet published in the Api's and in Fulfillment's database, and of those the parked ones.</summary>
    public async Task<(long ApiPending, long ApiParked, long FulfillmentPending, long FulfillmentParked)> OutboxesAsync() =>
        (await ScalarAsync(cluster.OrdersDatabase, """SELECT count(*) FROM outbox_messages WHERE "DispatchedAt" IS NULL"""),
         await ScalarAsync(cluster.OrdersDatabase, """SELECT count(*) FROM outbox_messages WHERE "ParkedAt" IS NOT NULL"""),
         await ScalarAsync(cluster.FulfillmentDatabase, """SELECT count(*) FROM outbox_messages WHERE "DispatchedAt" IS NULL"""),
         await ScalarAsync(cluster.FulfillmentDatabase, """SELECT count(*) FROM outbox_messages WHERE "ParkedAt" IS NOT NULL"""));

    /// <summary>Every outbox row of the service's database that the broker confirmed.</summary>
    public Task<List<SentMessage>> PublishedAsync(string database) =>
        RowsAsync(database, """SELECT "MessageId", "MessageType", "DispatchedAt" FROM outbox_messages WHERE "DispatchedAt" IS NOT NULL""",
            reader => new SentMessage(reader.GetGuid(0), reader.GetString(1), ReadTime(reader, 2)));

    /// <summary>Every inbox row of the service's database.</summary>
    public Task<List<RecordedMessage>> AppliedAsync(string database) =>
        RowsAsync(database, """SELECT "MessageId", "Consumer" FROM inbox_messages""",
            reader => new RecordedMessage(reader.GetGuid(0), reader.GetString(1)));

    private async Task<List<T>> RowsAsync<T>(string database, string sql, Func<DbDataReader, T> read)
    {
        await using var connection = await OpenAsync(database);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>PostgreSQL's timestamptz, or SQLite's UTC text ("2026-11-27 20:42:17.1234567").</summary>
    private static DateTimeOffset ReadTime(DbDataReader reader, int column) => reader.GetValue(column) switch
    {
        DateTime time => new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        DateTimeOffset time => time,
        var text => DateTimeOffset.Parse(Convert.ToString(text, CultureInfo.InvariantCulture)!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
    };

    /// <summary>Fulfilment rows by state ("12 Placed, 1 Failed").</summary>
    public async Task<string> FulfillmentStatesAsync()
    {
        await using var connection = await OpenAsync(cluster.FulfillmentDatabase);
        await using var command = connection.CreateCommand();
        command.CommandText = """SELECT "State", count(*) FROM offset_fulfillments GROUP BY "State" ORDER BY 1""";
        await using var reader = await command.ExecuteReaderAsync();
        var states = new List<string>();
        while (await reader.ReadAsync())
        {
            states.Add($"{reader.GetInt64(1)} {reader.GetString(0)}");
        }

        return string.Join(", ", states);
    }

    public Task<long> OrdersInStatusAsync(string status) =>
        ScalarAsync(cluster.OrdersDatabase, """SELECT count(*) FROM orders WHERE "Status" = 'STATUS'""".Replace("STATUS", status, StringComparison.Ordinal));

    private async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = await OpenAsync(database);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private async Task<DbConnection> OpenAsync(string database)
    {
        DbConnection connection = cluster.Options.Postgres
            ? new NpgsqlConnection(database)
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await connection.OpenAsync();
        return connection;
    }
}
