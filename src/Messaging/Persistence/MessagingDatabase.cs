using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Messaging.Persistence;

/// <summary>
/// A service's database (<see cref="ServiceDatabase"/>: SQLite or PostgreSQL) holding its outbox and inbox beside
/// its own tables. Readiness queries the outbox table: a database without the service's schema is not ready.
/// </summary>
public static class MessagingDatabase
{
    public static IHostApplicationBuilder AddServiceDatabase<TContext, TPostgresContext>(
        this IHostApplicationBuilder builder,
        string sqlitePathVariable,
        string defaultSqlitePath,
        string connectionStringName)
        where TContext : MessagingDbContext
        where TPostgresContext : TContext =>
        builder.AddServiceDatabase<TContext, TPostgresContext>(sqlitePathVariable, defaultSqlitePath, connectionStringName, QueryOutboxAsync);

    /// <summary>The SQLite readiness check (<see cref="SqliteDatabase.AddSqliteDatabaseCheck{TContext}"/>) on the outbox table.</summary>
    public static IHealthChecksBuilder AddSqliteDatabaseCheck<TContext>(this IHealthChecksBuilder builder)
        where TContext : MessagingDbContext =>
        builder.AddSqliteDatabaseCheck<TContext>(QueryOutboxAsync);

    private static Task QueryOutboxAsync<TContext>(TContext db, CancellationToken cancellationToken)
        where TContext : MessagingDbContext =>
        db.OutboxMessages.AnyAsync(cancellationToken);
}
