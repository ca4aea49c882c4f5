using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api;

public static class ApiServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddApiOptions();
        services.AddProblemDetails();

        var databasePath = builder.Configuration["DATABASE_PATH"] is { Length: > 0 } path ? path : new CheckoutOptions().DatabasePath;
        services.AddSqliteDbContext<ApiDbContext>(databasePath);
        services.AddHealthChecks().AddSqliteDatabaseCheck<ApiDbContext>();

        services.AddMessaging<ApiDbContext>(builder.Configuration, _ => { });
        return builder;
    }
}
