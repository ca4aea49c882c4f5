using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace PuffinOffset.TestSupport;

/// <summary>
/// What the engines say of a query's plan, for tests that a hot query reads through its index. SQLite's
/// <c>EXPLAIN QUERY PLAN</c> is decided without statistics (the services never run ANALYZE), so its lines are the
/// same on an empty file as on a long history. PostgreSQL's planner weighs the rows it has: there the test asks
/// that the index exists, is valid, and has the definition the plan relies on, and may ask which index the planner
/// picks once reading the whole table is ruled out (<see cref="PostgresAsync"/>).
/// </summary>
public static class QueryPlan
{
    /// <summary>The <c>EXPLAIN QUERY PLAN</c> lines of <paramref name="query"/>, exactly as EF Core sends it, on SQLite.</summary>
    public static async Task<IReadOnlyList<string>> SqliteAsync<T>(DbContext db, IQueryable<T> query)
    {
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = query.CreateDbCommand();
            command.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
            await using var reader = await command.ExecuteReaderAsync();
            var lines = new List<string>();
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(3));
            }

            return lines;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// PostgreSQL's <c>EXPLAIN</c> of <paramref name="query"/>, exactly as EF Core sends it, as one text, with the
    /// sequential scan ruled out: on a test's near-empty table reading it whole is always cheapest, whereas among the
    /// indexes the planner still chooses by their cost, in which a partial index's predicate counts.
    /// </summary>
    public static async Task<string> PostgresAsync<T>(DbContext db, IQueryable<T> query)
    {
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.Database.ExecuteSqlRawAsync("SET LOCAL enable_seqscan = off");
        await using var command = query.CreateDbCommand();
        command.CommandText = "EXPLAIN " + command.CommandText;
        command.Transaction = transaction.GetDbTransaction();
        var lines = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                lines.Add(reader.GetString(0));
            }
        }

        await transaction.RollbackAsync();
        return string.Join('\n', lines);
    }

    /// <summary>PostgreSQL's definition of a valid, ready index named <paramref name="index"/> (<c>pg_get_indexdef</c>), or null.</summary>
    public static async Task<string?> PostgresIndexAsync(DbContext db, string index)
    {
        await using var connection = new NpgsqlConnection(db.Database.GetConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE c.relname = @name AND i.indisvalid AND i.indisready
            """, connection);
        command.Parameters.AddWithValue("name", index);
        return await command.ExecuteScalarAsync() as string;
    }
}
