using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// A service's schema, brought up to date in one place (eShop's <c>AddMigration</c>): a hosted step
/// that runs before any other hosted service starts (bus, outbox dispatcher, workers, Kestrel), so the
/// services, every test host and the benchmarks get their schema the same way and none migrates by hand.
/// With <c>MIGRATE_ON_STARTUP=false</c> (production: the <c>migrate</c> command runs first as its own
/// step) the service does not migrate; it refuses to start on a schema that is behind.
/// </summary>
public static class DatabaseMigration
{
    public const string OnStartupVariable = "MIGRATE_ON_STARTUP";
    public const string Command = "migrate";

    public static IServiceCollection AddMigration<TContext>(this IServiceCollection services) where TContext : DbContext
    {
        services.AddOptions<MigrationOptions>()
            .Configure<IConfiguration>((options, config) => options.OnStartup = config[OnStartupVariable])
            .Validate(options => options.OnStartup is null || bool.TryParse(options.OnStartup, out _),
                $"{OnStartupVariable} must be true or false (true applies migrations at start; false leaves them to the migrate command).")
            .ValidateOnStart();
        services.AddSingleton<DatabaseMigrationStep<TContext>>();
        services.AddSingleton<IDatabaseMigrationStep>(provider => provider.GetRequiredService<DatabaseMigrationStep<TContext>>());
        services.AddHostedService(provider => provider.GetRequiredService<DatabaseMigrationStep<TContext>>());
        services.AddSingleton<IDatabaseBackupStep, DatabaseBackupStep<TContext>>();
        return services;
    }

    /// <summary>
    /// The <c>migrate</c> command (<c>dotnet Api.dll migrate</c>): applies the service's pending
    /// migrations and ends with 0, or with 1 and one line saying why. It needs only the database
    /// settings: it starts nothing else and validates no other option.
    /// </summary>
    public static async Task<int> RunMigrateCommandAsync(this IHost host)
    {
        var name = host.Services.GetRequiredService<IHostEnvironment>().ApplicationName;
        try
        {
            foreach (var step in host.Services.GetServices<IDatabaseMigrationStep>())
            {
                var applied = await step.MigrateAsync(CancellationToken.None);
                await Console.Out.WriteLineAsync(applied.Count == 0
                    ? $"{name}: the {step.DatabaseName} database is up to date."
                    : $"{name}: applied {applied.Count} migration(s) to the {step.DatabaseName} database: {string.Join(", ", applied)}.");
            }

            return 0;
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"{name}: migrate failed: {ex.GetBaseException().Message}");
            return 1;
        }
    }
}

public sealed class MigrationOptions
{
    /// <summary>The raw <c>MIGRATE_ON_STARTUP</c> value; absent means true.</summary>
    public string? OnStartup { get; set; }

    public bool MigrateOnStartup => OnStartup is null || !bool.TryParse(OnStartup, out var parsed) || parsed;
}

public interface IDatabaseMigrationStep
{
    string DatabaseName { get; }

    /// <summary>Applies pending migrations; returns the ids of those applied.</summary>
    Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken);
}

internal sealed partial class DatabaseMigrationStep<TContext>(
    IServiceProvider services, IServiceScopeFactory scopes, IOptions<MigrationOptions> options, ILogger<DatabaseMigrationStep<TContext>> logger)
    : IHostedLifecycleService, IDatabaseMigrationStep
    where TContext : DbContext
{
    public string DatabaseName { get; } = typeof(TContext).Name.Replace("DbContext", "", StringComparison.Ordinal);

    /// <summary>Starting runs before every hosted service's StartAsync: nothing reads or writes an old schema.</summary>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStartup)
        {
            var applied = await MigrateAsync(cancellationToken);
            if (applied.Count > 0)
            {
                LogApplied(applied.Count, DatabaseName, string.Join(", ", applied));
            }

            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            // Reported like a configuration error: one line naming the variable, exit code 1, no stack trace.
            throw new OptionsValidationException(DatabaseMigration.OnStartupVariable, typeof(MigrationOptions),
            [
                $"{DatabaseMigration.OnStartupVariable} is false and the {DatabaseName} database is {pending.Count} migration(s) behind "
                + $"({pending[^1]} is missing): run the service's migrate command first (dotnet <Service>.dll migrate), "
                + $"or set {DatabaseMigration.OnStartupVariable}=true.",
            ]);
        }
    }

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken cancellationToken)
    {
        // A second process on the same SQLite file must not even migrate it.
        services.GetService<SqliteFileLock>()?.Acquire();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        if (db.Database.IsSqlite()
            && Path.GetDirectoryName(new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        // Under the lock from here on: replicas starting together would race even to create the history table.
        await using var migrationLock = await MigrationLock.AcquireAsync(db, DatabaseName, cancellationToken);

        // A new database has no history table: EF Core's migrate would read it before creating it and log the
        // failed command as an Error (PostgreSQL) on every first start. Created first, it is simply empty.
        if (await db.Database.CanConnectAsync(cancellationToken))
        {
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        return pending;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied {Count} migration(s) to the {Database} database: {Migrations}")]
    private partial void LogApplied(int count, string database, string migrations);
}
