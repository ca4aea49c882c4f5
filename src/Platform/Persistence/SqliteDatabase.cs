using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PuffinOffset.Platform.Persistence;

public static class SqliteDatabase
{
    /// <summary>
    /// Registers <typeparamref name="TContext"/> on the SQLite file at <paramref name="path"/>, with the
    /// connection pragmas and every <see cref="IInterceptor"/> in the container (the outbox's commit
    /// signal; tests add fault injectors the same way).
    /// </summary>
    public static IServiceCollection AddSqliteDbContext<TContext>(this IServiceCollection services, string path)
        where TContext : DbContext
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(path),
            DefaultTimeout = 30,
            Pooling = true,
        }.ToString();

        // One process per file: taken before migrations (DatabaseMigration) and by the first hosted service.
        services.AddSingleton(_ => new SqliteFileLock(path));
        services.AddHostedService<SqliteFileLock.Holder>();
        services.AddSingleton<IInterceptor, SqlitePragmasInterceptor>();
        services.AddDbContext<TContext>((provider, options) => options
            .UseSqlite(connectionString)
            .AddInterceptors(provider.GetServices<IInterceptor>()));
        return services;
    }

    /// <summary>
    /// Takes the one-process-per-file lock before the host starts (a no-op on other providers), so a second
    /// process is refused with one line rather than through the host's failed-start log with its stack trace.
    /// </summary>
    public static Task HoldDatabaseFileAsync(this IHost host)
    {
        host.Services.GetService<SqliteFileLock>()?.Acquire();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Readiness: the database file is where it is configured and answers a real query against the
    /// service's schema. The file check matters: pooled connections keep a deleted or moved database open
    /// and go on "working" on it (measured: /health stayed 200), writing data that nobody will find again.
    /// </summary>
    public static IHealthChecksBuilder AddSqliteDatabaseCheck<TContext>(this IHealthChecksBuilder builder,
        Func<TContext, CancellationToken, Task> schemaQuery)
        where TContext : DbContext =>
        builder.AddDbContextCheck<TContext>("database", customTestQuery: async (db, cancellationToken) =>
        {
            var dataSource = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
            if (!File.Exists(dataSource))
            {
                return false;
            }

            await schemaQuery(db, cancellationToken);
            return true;
        });
}
