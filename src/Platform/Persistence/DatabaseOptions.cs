namespace PuffinOffset.Platform.Persistence;

/// <summary>Where a service keeps its state: <c>DATABASE_PROVIDER</c> and the provider's location.</summary>
public sealed class DatabaseOptions
{
    public const string ProviderVariable = "DATABASE_PROVIDER";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>The SQLite file, with <see cref="DatabaseProvider.Sqlite"/>.</summary>
    public string SqlitePath { get; set; } = "";

    /// <summary>The Npgsql connection string, with <see cref="DatabaseProvider.Postgres"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Null for an unset variable (SQLite); the provider, or null when the value names none.</summary>
    public static DatabaseProvider? Parse(string? value, out bool valid)
    {
        valid = true;
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "sqlite":
                return DatabaseProvider.Sqlite;
            case "postgres" or "postgresql":
                return DatabaseProvider.Postgres;
            default:
                valid = false;
                return null;
        }
    }
}
