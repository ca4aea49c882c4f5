using System.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace PuffinOffset.Messaging.Persistence;

public static class WriteTransactions
{
    /// <summary>
    /// A transaction for a read-decide-write step (inbox, webhook, state machine). SQLite's
    /// <c>BEGIN IMMEDIATE</c> takes the single write lock up front, so such steps already run one at a time.
    /// On PostgreSQL several replicas run them concurrently: repeatable read makes the later of two
    /// transactions that change the same row fail with a serialization error instead of silently
    /// overwriting the first one's decision (a lost update could move an order backwards); the caller
    /// runs it again and then sees the first one's result.
    /// </summary>
    public static Task<IDbContextTransaction> BeginWriteTransactionAsync(this DbContext db, CancellationToken cancellationToken) =>
        db.Database.IsNpgsql()
            ? db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken)
            : db.Database.BeginTransactionAsync(cancellationToken);
}
