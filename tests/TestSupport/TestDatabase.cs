using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.TestSupport;

/// <summary>
/// The database engine the integration suites run on: <c>PUFFIN_TEST_DATABASE</c> = <c>sqlite</c> (default)
/// or <c>postgres</c>. scripts/test.sh runs the suites once per engine, so every test that touches a
/// database proves its behaviour on both without a second copy of it.
/// </summary>
public static class TestDatabase
{
    public const string Variable = "PUFFIN_TEST_DATABASE";

    public static DatabaseProvider Provider { get; } =
        DatabaseOptions.Parse(Environment.GetEnvironmentVariable(Variable), out var valid) is { } provider && valid
            ? provider
            : throw new InvalidOperationException($"{Variable} must be sqlite or postgres.");

    public static bool IsPostgres => Provider == DatabaseProvider.Postgres;

    /// <summary>One PostgreSQL database per SQLite path, so a test that restarts a service on its file gets its data back.</summary>
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Databases = new();

    /// <summary>The PostgreSQL database standing in for the SQLite file <paramref name="sqlitePath"/>.</summary>
    public static Task<string> PostgresConnectionStringAsync(string sqlitePath, string purpose = "test") =>
        Databases.GetOrAdd(Path.GetFullPath(sqlitePath), _ => new(async () => await (await PostgresServer.Shared).CreateDatabaseAsync(purpose))).Value;

    /// <summary>Registers <typeparamref name="TContext"/> on the engine under test (for contexts without migrations: EnsureCreated).</summary>
    public static async Task<IServiceCollection> AddTestDbContextAsync<TContext>(this IServiceCollection services, string sqlitePath)
        where TContext : DbContext
    {
        if (!IsPostgres)
        {
            return services.AddSqliteDbContext<TContext>(sqlitePath);
        }

        var connectionString = await PostgresConnectionStringAsync(sqlitePath);
        return services.AddDbContext<TContext>((provider, options) => options
            .UseNpgsql(connectionString)
            .AddInterceptors(provider.GetServices<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>())
            .AddInterceptors(new SkipLocked.Interceptor()));
    }

    /// <summary>Options for a context built by hand on the engine under test.</summary>
    public static async Task<DbContextOptions<TContext>> OptionsAsync<TContext>(string sqlitePath) where TContext : DbContext =>
        IsPostgres
            ? new DbContextOptionsBuilder<TContext>().UseNpgsql(await PostgresConnectionStringAsync(sqlitePath)).AddInterceptors(new SkipLocked.Interceptor()).Options
            : new DbContextOptionsBuilder<TContext>().UseSqlite($"Data Source={sqlitePath};Default Timeout=30").AddInterceptors(new SqlitePragmasInterceptor()).Options;

    /// <summary>
    /// The settings that give a service a fresh database: the SQLite file <paramref name="sqlitePath"/>
    /// under <paramref name="sqlitePathVariable"/>, or a new PostgreSQL database under
    /// <c>ConnectionStrings:<paramref name="connectionName"/></c>.
    /// </summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync(string sqlitePathVariable, string sqlitePath, string connectionName) =>
        IsPostgres
            ? new()
            {
                [DatabaseOptions.ProviderVariable] = "postgres",
                [$"ConnectionStrings:{connectionName}"] = await PostgresConnectionStringAsync(sqlitePath, connectionName),
            }
            : new() { [sqlitePathVariable] = sqlitePath };

    /// <summary>Merges <paramref name="database"/> into <paramref name="settings"/> (database settings win).</summary>
    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, Dictionary<string, string?> database)
    {
        foreach (var (key, value) in database)
        {
            settings[key] = value;
        }

        return settings;
    }
}
