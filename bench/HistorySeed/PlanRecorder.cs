using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.HistorySeed;

/// <summary>
/// Sees every command EF Core sends and, before it runs, runs its plan on the same connection and transaction:
/// <c>EXPLAIN QUERY PLAN</c> on SQLite, <c>EXPLAIN (ANALYZE, BUFFERS)</c> on PostgreSQL. Then times the command itself.
/// </summary>
public sealed class PlanRecorder(bool postgres) : DbCommandInterceptor
{
    public sealed record Captured(string Sql, IReadOnlyList<string> Plan)
    {
        public TimeSpan Elapsed { get; set; }
        public long Rows { get; set; } = -1;
    }

    private readonly List<Captured> _commands = [];
    private readonly Stopwatch _clock = new();

    public IReadOnlyList<Captured> Commands => _commands;

    public void Clear() => _commands.Clear();

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await ExplainAsync(command, cancellationToken);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await ExplainAsync(command, cancellationToken);
        return result;
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await ExplainAsync(command, cancellationToken);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result,
        CancellationToken cancellationToken = default)
    {
        Stop(result.RecordsAffected);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result,
        CancellationToken cancellationToken = default)
    {
        Stop(result);
        return ValueTask.FromResult(result);
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result,
        CancellationToken cancellationToken = default)
    {
        Stop(-1);
        return ValueTask.FromResult(result);
    }

    private void Stop(long rows)
    {
        _clock.Stop();
        if (_commands.Count > 0)
        {
            _commands[^1].Elapsed = _clock.Elapsed;
            _commands[^1].Rows = rows;
        }
    }

    private async Task ExplainAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var plan = new List<string>();
        await using (var explain = command.Connection!.CreateCommand())
        {
            explain.Transaction = command.Transaction;
            // An INSERT analysed on PostgreSQL would run and then collide with itself: its plan only.
            var analyse = !command.CommandText.TrimStart().StartsWith("INSERT", StringComparison.OrdinalIgnoreCase);
            explain.CommandText = (postgres ? analyse ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN " : "EXPLAIN QUERY PLAN ") + command.CommandText;
            foreach (DbParameter parameter in command.Parameters)
            {
                var copy = explain.CreateParameter();
                copy.ParameterName = parameter.ParameterName;
                copy.Value = parameter.Value;
                copy.DbType = parameter.DbType;
                explain.Parameters.Add(copy);
                if (postgres && parameter.GetType().GetProperty("NpgsqlDbType") is { } type)
                {
                    type.SetValue(copy, type.GetValue(parameter));
                }
            }

            await using var reader = await explain.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                // SQLite: id, parent, notused, detail; PostgreSQL: one line of text.
                plan.Add(postgres ? reader.GetString(0) : reader.GetString(3));
            }
        }

        _commands.Add(new Captured(command.CommandText, plan));
        _clock.Restart();
    }
}
