using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// One model, two engines: registers a service's DbContext on SQLite (the embedded default) or on
/// PostgreSQL (<c>DATABASE_PROVIDER=postgres</c>). Each engine has its own migrations, attached to its
/// own context type (EF Core's pattern for several providers): <typeparamref name="TContext"/> owns the
/// SQLite chain, <typeparamref name="TPostgresContext"/> (the same model) the PostgreSQL one, and the
/// rest of the service only ever asks for <typeparamref name="TContext"/>. Readiness runs
/// <c>schemaQuery</c>, a real query against the service's own schema, on either engine.
/// </summary>
public static class ServiceDatabase
{
    public static IHostApplicationBuilder AddServiceDatabase<TContext, TPostgresContext>(
        this IHostApplicationBuilder builder,
        string sqlitePathVariable,
        string defaultSqlitePath,
        string connectionStringName,
        Func<TContext, CancellationToken, Task> schemaQuery)
        where TContext : DbContext
        where TPostgresContext : TContext
    {
        var configuration = builder.Configuration;
        var rawProvider = configuration[DatabaseOptions.ProviderVariable];
        var provider = DatabaseOptions.Parse(rawProvider, out var validProvider) ?? DatabaseProvider.Sqlite;
        var options = new DatabaseOptions
        {
            Provider = provider,
            SqlitePath = configuration[sqlitePathVariable] is { Length: > 0 } path ? path : defaultSqlitePath,
            ConnectionString = configuration.GetConnectionString(connectionStringName) is { Length: > 0 } cs ? cs : null,
        };

        builder.Services.AddOptions<DatabaseOptions>()
            .Configure(o =>
            {
                o.Provider = options.Provider;
                o.SqlitePath = options.SqlitePath;
                o.ConnectionString = options.ConnectionString;
            })
            .Validate(_ => validProvider,
                $"{DatabaseOptions.ProviderVariable} must be 'sqlite' (the default) or 'postgres'; '{rawProvider}' is neither.")
            .Validate(o => o.Provider != DatabaseProvider.Postgres || o.ConnectionString is not null,
                $"ConnectionStrings__{connectionStringName} is required with {DatabaseOptions.ProviderVariable}=postgres: the Npgsql connection string of this service's own database, e.g. Host=db;Database={connectionStringName};Username=puffin;Password=….")
            .ValidateOnStart();

        if (validProvider && provider == DatabaseProvider.Postgres)
        {
            builder.AddPostgresDbContext<TContext, TPostgresContext>(options.ConnectionString ?? "Host=unconfigured", schemaQuery);
        }
        else
        {
            builder.Services.AddSqliteDbContext<TContext>(options.SqlitePath);
            builder.Services.AddHealthChecks().AddSqliteDatabaseCheck(schemaQuery);
        }

        return builder;
    }

    private static void AddPostgresDbContext<TContext, TPostgresContext>(this IHostApplicationBuilder builder, string connectionString,
        Func<TContext, CancellationToken, Task> schemaQuery)
        where TContext : DbContext
        where TPostgresContext : TContext
    {
        builder.Services.AddDbContext<TContext, TPostgresContext>((provider, options) => options
            .UseNpgsql(connectionString)
            .AddInterceptors(provider.GetServices<IInterceptor>())
            .AddInterceptors(new SkipLocked.Interceptor()));
        builder.EnrichNpgsqlDbContext<TPostgresContext>(settings =>
        {
            // Our transactions are opened by hand (inbox, webhook, outbox claim) and retried by their
            // callers on serialization failures; EF's retrying strategy refuses user-initiated transactions.
            settings.DisableRetry = true;
            // The "database" check below queries the service's own schema, like the SQLite one.
            settings.DisableHealthChecks = true;
        });
        builder.Services.AddHealthChecks().AddDbContextCheck<TContext>("database", customTestQuery: async (db, cancellationToken) =>
        {
            await schemaQuery(db, cancellationToken);
            return true;
        });
    }
}
