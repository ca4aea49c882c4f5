using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>Makes SQL commands matching <paramref name="matches"/> fail, with a message full of things that must never leak.</summary>
public sealed class FailingCommandInterceptor(Func<string, bool> matches) : DbCommandInterceptor
{
    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
        matches(command.CommandText) ? throw Failure(command) : base.ReaderExecutingAsync(command, eventData, result, cancellationToken);

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
        matches(command.CommandText) ? throw Failure(command) : base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);

    private static InvalidOperationException Failure(DbCommand command) =>
        new($"SQLite Error 10: disk I/O error while running {command.CommandText} with sk_test_TESTONLYsecretkey");
}
