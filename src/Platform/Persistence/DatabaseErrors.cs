using Microsoft.Data.Sqlite;
using Npgsql;

namespace PuffinOffset.Platform.Persistence;

/// <summary>The two failures concurrent writers are expected to meet, recognised on both engines.</summary>
public static class DatabaseErrors
{
    private const int SqliteConstraint = 19;

    /// <summary>A unique key (an event id, an inbox pair, a primary key) already holds this value.</summary>
    public static bool IsUniqueViolation(Exception exception) => Innermost(exception) switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteConstraint,
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>
    /// PostgreSQL refused the transaction because a concurrent one changed what it read or wrote (repeatable
    /// read / serializable) or a deadlock was broken: running it again from the start is correct.
    /// SQLite serialises writers with its single write lock and never reports this.
    /// </summary>
    public static bool IsSerializationFailure(Exception exception) =>
        Innermost(exception) is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    private static Exception Innermost(Exception exception)
    {
        var current = exception;
        while (current is not SqliteException and not PostgresException && current.InnerException is { } inner)
        {
            current = inner;
        }

        return current;
    }
}
