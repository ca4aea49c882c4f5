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
        db.Database.IsNpgsql()
            ? db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken)
            : db.Database.BeginTransactionAsync(cancellationToken);
}
