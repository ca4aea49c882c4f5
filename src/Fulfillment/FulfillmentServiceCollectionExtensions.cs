using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Fulfillment;

public static class FulfillmentServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddFulfillmentServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddFulfillmentOptions();
        services.AddProblemDetails();

        services.AddSqliteDbContext<FulfillmentDbContext>(FulfillmentConfiguration.DatabasePath(builder.Configuration));
        services.AddHealthChecks().AddSqliteDatabaseCheck<FulfillmentDbContext>();

        services.AddMessaging<FulfillmentDbContext>(builder.Configuration, _ => { });
        return builder;
    }
}
