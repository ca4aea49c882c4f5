using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace PuffinOffset.HistorySeed;

/// <summary>
/// Appends rows to a table the migrations created: on SQLite one transaction of prepared multi-row INSERTs, on
/// PostgreSQL one binary COPY. Values are written as EF Core stores them, so that the services read them back.
/// </summary>
public static class BulkWriter
{
    // Microsoft.Data.Sqlite binds each parameter by name, and SQLite finds a name by walking the statement's list:
    // binding costs the square of the parameters per statement, so statements stay at a few hundred of them.
    private const int ParametersPerInsert = 300;

    public static async Task<TimeSpan> WriteAsync(SeedTable table, bool postgres, string connectionString)
    {
        var clock = Stopwatch.StartNew();
        if (postgres)
        {
            await CopyAsync(table, connectionString);
        }
        else
        {
            await InsertAsync(table, connectionString);
        }

        return clock.Elapsed;
    }

    private static string ColumnList(SeedTable table) => string.Join(", ", table.Columns.Select(c => $"\"{c.Name}\""));

    private static async Task InsertAsync(SeedTable table, string connectionString)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using (var pragma = connection.CreateCommand())
        {
            // A seed that fails is simply run again on a new file: no need to sync the file on every commit.
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;";
            await pragma.ExecuteNonQueryAsync();
        }

        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
        SqliteCommand? full = null;
        var rowsPerInsert = Math.Max(1, ParametersPerInsert / table.Columns.Count);
        for (long start = 0; start < table.Count; start += rowsPerInsert)
        {
            var rows = (int)Math.Min(rowsPerInsert, table.Count - start);
            var command = rows == rowsPerInsert ? full ??= Prepare(connection, transaction, table, rows) : Prepare(connection, transaction, table, rows);
            for (var r = 0; r < rows; r++)
            {
                var values = table.Row(start + r);
                for (var c = 0; c < table.Columns.Count; c++)
                {
                    command.Parameters[r * table.Columns.Count + c].Value = SqliteValue(values[c], table.Columns[c].Kind);
                }
            }

            await command.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction transaction, SeedTable table, int rows)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        var width = table.Columns.Count;
        var tuples = Enumerable.Range(0, rows).Select(r => "(" + string.Join(", ", Enumerable.Range(0, width).Select(c => $"$p{r * width + c}")) + ")");
        command.CommandText = $"INSERT INTO \"{table.Name}\" ({ColumnList(table)}) VALUES {string.Join(", ", tuples)}";
        for (var p = 0; p < rows * width; p++)
        {
            command.Parameters.Add(new SqliteParameter($"$p{p}", null));
        }

        command.Prepare();
        return command;
    }

    // EF Core's SQLite mappings: guids as upper-case text, times as UTC text that sorts, decimals as invariant text.
    private static object SqliteValue(object? value, ColumnKind kind) => value switch
    {
        null => DBNull.Value,
        Guid guid => guid.ToString().ToUpperInvariant(),
        DateTimeOffset time => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        decimal number => number.ToString(CultureInfo.InvariantCulture),
        bool flag => flag ? 1 : 0,
        string[] list => "[" + string.Join(",", list.Select(s => $"\"{s}\"")) + "]",
        _ when kind == ColumnKind.TextList => "[]",
        _ => value,
    };

    private static async Task CopyAsync(SeedTable table, string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var importer = await connection.BeginBinaryImportAsync($"COPY \"{table.Name}\" ({ColumnList(table)}) FROM STDIN (FORMAT BINARY)");
        for (long i = 0; i < table.Count; i++)
        {
            var values = table.Row(i);
            await importer.StartRowAsync();
            for (var c = 0; c < table.Columns.Count; c++)
            {
                var kind = table.Columns[c].Kind;
                switch (values[c])
                {
                    case null:
                        await importer.WriteNullAsync();
                        break;
                    case DateTimeOffset time:
                        await importer.WriteAsync(time.UtcDateTime, NpgsqlDbType.TimestampTz);
                        break;
                    case var value:
                        await importer.WriteAsync(value, PostgresType(kind));
                        break;
                }
            }
        }

        await importer.CompleteAsync();
    }

    private static NpgsqlDbType PostgresType(ColumnKind kind) => kind switch
    {
        ColumnKind.Uuid => NpgsqlDbType.Uuid,
        ColumnKind.Text => NpgsqlDbType.Varchar,
        ColumnKind.Int => NpgsqlDbType.Integer,
        ColumnKind.Long => NpgsqlDbType.Bigint,
        ColumnKind.Bool => NpgsqlDbType.Boolean,
        ColumnKind.Time => NpgsqlDbType.TimestampTz,
        ColumnKind.Decimal => NpgsqlDbType.Numeric,
        ColumnKind.TextList => NpgsqlDbType.Array | NpgsqlDbType.Text,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
