using MassTransit;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.Persistence;
using OpenTelemetry.Metrics;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Payments;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Fulfillment.Replays;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment;

public static class FulfillmentServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddFulfillmentServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddFulfillmentOptions();
        services.AddProblemDetails();

        builder.AddServiceDatabase<FulfillmentDbContext, PostgresFulfillmentDbContext>(
            "FULFILLMENT_DATABASE_PATH", FulfillmentConfiguration.DefaultDatabasePath, "fulfillment");
        // FulfillmentDbContext resolves to PostgresFulfillmentDbContext on PostgreSQL: its own migrations apply.
        services.AddMigration<FulfillmentDbContext>();

        services.AddWrenClient();
        services.AddRefundCheck();
        services.AddSingleton<WrenRateLimit>();
        services.AddSingleton<FulfillmentTelemetry>();
        // Created with the meter provider, not at the first fulfilment: its counters are exported from the
        // first scrape, so an alert on their increase sees the very first event.
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddInstrumentation(provider => provider.GetRequiredService<FulfillmentTelemetry>()));
        services.AddSingleton<FulfillmentSignal>();
        services.AddSingleton<FulfillmentReplica>();
        services.AddScoped<FulfillmentProcessor>();
        services.AddSingleton<LostLeaseOrders>();
        services.AddSingleton<RefundBacklog>();
        services.AddReceiveObserver(provider => provider.GetRequiredService<RefundBacklog>());
        // Before the worker, so that it stops after it: the steps the worker waits for at shutdown still commit.
        services.AddSingleton<FulfillmentOutcomeWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<FulfillmentOutcomeWriter>());
        services.AddHostedService<FulfillmentWorker>();
        services.AddHostedService<LateWrenOrderCheck>();

        services.AddMessaging<FulfillmentDbContext>(builder.Configuration,
            bus =>
            {
                bus.AddConsumer<PaymentCompletedConsumer, PaymentCompletedConsumerDefinition>();
                bus.AddConsumer<OrderRefundedConsumer, OrderRefundedConsumerDefinition>();
                bus.AddConsumer<FulfillmentReplayRequestedConsumer, FulfillmentReplayRequestedConsumerDefinition>();
            });
        return builder;
    }

    /// <summary>The HTTP pipeline: problem details for errors and health endpoints. Operators act through the Api's admin endpoints.</summary>
    public static WebApplication UseFulfillment(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseManagementListener();
        app.MapDefaultEndpoints();
        return app;
    }
}
