using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// The <c>backup</c> command (<c>dotnet Api.dll backup /var/backups/puffin-offset/api</c>): one consistent copy of
/// the service's own database in a timestamped file, taken while the service runs. SQLite: <c>VACUUM INTO</c>, which
/// reads one snapshot in a single read transaction (writers carry on in WAL mode; a file copy could miss what is
/// still in the WAL or catch a page mid-write). PostgreSQL: <c>pg_dump --format=custom</c> of this service's
/// database only, as this service's role (its own connection string; the password goes to pg_dump in its
/// environment, never on a command line). Restore: docs/operations.md, "Backups and restore".
/// </summary>
public static class DatabaseBackup
{
    public const string Command = "backup";

    /// <summary>Ends with 0 and one line per database naming the file, or with 1 and one line saying why.</summary>
    public static async Task<int> RunBackupCommandAsync(this IHost host, string folder)
    {
        var name = host.Services.GetRequiredService<IHostEnvironment>().ApplicationName;
        var time = host.Services.GetService<TimeProvider>() ?? TimeProvider.System;
        try
        {
            Directory.CreateDirectory(folder);
            foreach (var step in host.Services.GetServices<IDatabaseBackupStep>())
            {
                var file = await step.BackupAsync(folder, time.GetUtcNow(), CancellationToken.None);
                await Console.Out.WriteLineAsync($"{name}: backed up the {step.DatabaseName} database to {file}");
            }

            return 0;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"{name}: backup failed: {ex.GetBaseException().Message}");
            return 1;
        }
    }

    /// <summary>
    /// <c>api-20261207T061500Z.sqlite</c> or <c>.dump</c>: sorts by time. Written under a <c>.partial</c> name and
    /// renamed when complete, so an interrupted backup never looks like a good one.
    /// </summary>
    internal static string FileName(string databaseName, DateTimeOffset takenAt, bool postgres) =>
        $"{databaseName.ToLowerInvariant()}-{takenAt.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.{(postgres ? "dump" : "sqlite")}";

    internal static async Task SqliteAsync(string databasePath, string target, CancellationToken cancellationToken)
    {
        if (!File.Exists(databasePath))
        {
            throw new FileNotFoundException($"There is no database at {databasePath} (DATABASE_PATH).");
        }

        // Not through the service's pooled connections: this process must not take the service's file lock.
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            DefaultTimeout = 30,
            Pooling = false,
        }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 30000; VACUUM INTO $target;";
        command.Parameters.AddWithValue("$target", target);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task PostgresAsync(string connectionString, string target, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo("pg_dump")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            ArgumentList = { "--format=custom", "--no-password", $"--file={target}" },
        };
        start.Environment["PGHOST"] = settings.Host;
        start.Environment["PGPORT"] = settings.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGDATABASE"] = settings.Database;
        start.Environment["PGUSER"] = settings.Username;
        start.Environment["PGPASSWORD"] = settings.Password;
        start.Environment["PGSSLMODE"] = settings.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Allow => "allow",
            SslMode.Require => "require",
            SslMode.VerifyCA => "verify-ca",
            SslMode.VerifyFull => "verify-full",
            _ => "prefer",
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pg_dump did not start.");
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            var reason = (await errors).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
            throw new InvalidOperationException($"pg_dump exited with {process.ExitCode}: {reason}");
        }
    }
}

public interface IDatabaseBackupStep
{
    string DatabaseName { get; }

    /// <summary>Writes one backup file into <paramref name="folder"/>; returns its path.</summary>
    Task<string> BackupAsync(string folder, DateTimeOffset takenAt, CancellationToken cancellationToken);
}

internal sealed class DatabaseBackupStep<TContext>(IServiceScopeFactory scopes) : IDatabaseBackupStep
    where TContext : DbContext
{
    public string DatabaseName { get; } = typeof(TContext).Name.Replace("DbContext", "", StringComparison.Ordinal);

    public async Task<string> BackupAsync(string folder, DateTimeOffset takenAt, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var connectionString = db.Database.GetConnectionString()!;
        var postgres = !db.Database.IsSqlite();
        var target = Path.GetFullPath(Path.Combine(folder, DatabaseBackup.FileName(DatabaseName, takenAt, postgres)));
        if (File.Exists(target))
        {
            throw new IOException($"{target} already exists.");
        }

        var partial = target + ".partial";
        File.Delete(partial);
        try
        {
            if (postgres)
            {
                await DatabaseBackup.PostgresAsync(connectionString, partial, cancellationToken);
            }
            else
            {
                await DatabaseBackup.SqliteAsync(new SqliteConnectionStringBuilder(connectionString).DataSource, partial, cancellationToken);
            }

            File.Move(partial, target);
            return target;
        }
        finally
        {
            File.Delete(partial);
        }
    }
}
