namespace PuffinOffset.Platform.Persistence;

/// <summary>The engine behind a service's database (<c>DATABASE_PROVIDER</c>).</summary>
public enum DatabaseProvider
{
    /// <summary>An embedded file: zero set-up, one process per file.</summary>
    Sqlite,

    /// <summary>A server shared by any number of replicas of one service.</summary>
    Postgres,
}
