using MassTransit;
using PuffinOffset.Api.Admin;
using PuffinOffset.Api.Checkout;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.FulfillmentOutcomes;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Portfolios;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Api.Retention;
using PuffinOffset.Api.Security;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.DeadLetters;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api;

public static class ApiServiceCollectionExtensions
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddApiOptions();
        services.AddSafeProblemDetails();
        services.AddFrontendCors();
        services.AddTrustedProxies();
        services.AddCheckoutRateLimit();
        services.AddAdminKeys();
        services.AddOpenApi();
        services.TryAddSingletonTimeProvider();
        services.AddSingleton<ApiMetrics>();
        services.AddHostedService<OrderGaugeRefresher>();

        builder.AddServiceDatabase<ApiDbContext, PostgresApiDbContext>("DATABASE_PATH", ApiConfiguration.DefaultDatabasePath, "orders");
        // Migrates whichever context the provider registered: ApiDbContext resolves to PostgresApiDbContext
        // on PostgreSQL, and EF Core picks the migrations of the instance's own type.
        services.AddMigration<ApiDbContext>();

        services.AddHttpClient<WrenPortfolioClient>();
        services.AddSingleton<PriceList>();
        services.AddHttpClient(StripeCheckout.HttpClientName);
        services.AddScoped<StripeCheckout>();
        services.AddSingleton<StripeSignatureVerifier>();
        services.AddSingleton<RecentStripeEvents>();
        services.AddSingleton<StripeEventWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<StripeEventWriter>());
        services.AddSingleton<StripeEventIngest>();

        services.AddSingleton<PaidOrderResender>();
        services.AddHostedService(provider => provider.GetRequiredService<PaidOrderResender>());
        services.AddSingleton<StripeReconciler>();
        services.AddHostedService(provider => provider.GetRequiredService<StripeReconciler>());
        services.AddDataRetention();

        services.AddSingleton<DeadLetterQueues>();
        services.AddMessaging<ApiDbContext>(builder.Configuration, bus =>
        {
            bus.AddConsumer<OffsetOrderPlacedConsumer, OffsetOrderPlacedConsumerDefinition>();
            bus.AddConsumer<OffsetOrderFailedConsumer, OffsetOrderFailedConsumerDefinition>();
            bus.AddConsumer<OrderRefundAcknowledgedConsumer, OrderRefundAcknowledgedConsumerDefinition>();
        });
        return builder;
    }

    /// <summary>The Api's middleware and endpoints, in order.</summary>
    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseTrustedProxies();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseManagementListener();
        app.UseAdminAuthentication();
        app.UseCors();
        app.UseRateLimiter();

        app.MapOpenApi();
        var api = app.MapGroup("/api");
        api.MapCheckoutApi();
        api.MapOrdersApi();
        api.MapPortfoliosApi();
        api.MapConfigApi();
        api.MapStripeWebhook();
        api.MapAdminApi(app.Configuration);
        app.MapAdminConsole();
        app.MapDefaultEndpoints();
        return app;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton(services, TimeProvider.System);
}
