using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace PuffinOffset.Platform.Persistence;

public static class WriteTransactions
{
    /// <summary>
    /// A transaction for a read-decide-write step (inbox, webhook, state machine): <c>BEGIN IMMEDIATE</c> on
    /// SQLite, repeatable read on PostgreSQL. Why each makes the step safe, and what a caller does when
    /// PostgreSQL refuses the later of two concurrent writers: docs/architecture.md, "Write transactions on SQLite and PostgreSQL".
    /// </summary>
    public static Task<IDbContextTransaction> BeginWriteTransactionAsync(this DbContext db, CancellationToken cancellationToken) =>
        db.BeginWriteTransactionAsync(serializable: false, cancellationToken);

    /// <summary>
    /// As above; with <paramref name="serializable"/>, serializable on PostgreSQL, for a step that decides on rows that
    /// may not exist yet (a query that finds nothing), which repeatable read cannot protect: docs/architecture.md,
    /// "Write transactions on SQLite and PostgreSQL".
    /// </summary>
    public static Task<IDbContextTransaction> BeginWriteTransactionAsync(this DbContext db, bool serializable, CancellationToken cancellationToken) =>
        db.Database.IsNpgsql()
            ? db.Database.BeginTransactionAsync(serializable ? IsolationLevel.Serializable : IsolationLevel.RepeatableRead, cancellationToken)
            : db.Database.BeginTransactionAsync(cancellationToken);
}
