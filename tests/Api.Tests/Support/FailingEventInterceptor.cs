using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>Makes every SQL command carrying <paramref name="eventId"/> as a parameter fail: one poisoned event.</summary>
public sealed class FailingEventInterceptor(string eventId) : DbCommandInterceptor
{
    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) =>
        Carries(command) ? throw Failure() : base.ReaderExecutingAsync(command, eventData, result, cancellationToken);

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default) =>
        Carries(command) ? throw Failure() : base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);

    private bool Carries(DbCommand command) => command.Parameters.Cast<DbParameter>().Any(p => Equals(p.Value, eventId));

    private InvalidOperationException Failure() => new($"SQLite Error 10: disk I/O error while recording {eventId}");
}
