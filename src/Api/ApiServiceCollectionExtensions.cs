using MassTransit;
using PuffinOffset.Api.Admin;
using PuffinOffset.Api.Checkout;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Fulfillment;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Portfolios;
using PuffinOffset.Api.Security;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Messaging;
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
        services.AddCheckoutRateLimit();
        services.AddOpenApi();
        services.TryAddSingletonTimeProvider();
        services.AddSingleton<ApiMetrics>();

        builder.AddServiceDatabase<ApiDbContext, PostgresApiDbContext>("DATABASE_PATH", new CheckoutOptions().DatabasePath, "orders");

        services.AddHttpClient<WrenPortfolioClient>();
        services.AddSingleton<PriceList>();
        services.AddHttpClient(StripeCheckout.HttpClientName);
        services.AddScoped<StripeCheckout>();
        services.AddSingleton<StripeSignatureVerifier>();
        services.AddSingleton<WebhookWriteGate>();
        services.AddScoped<StripeEventProcessor>();

        services.AddMessaging<ApiDbContext>(builder.Configuration, bus =>
        {
            bus.AddConsumer<OffsetOrderPlacedConsumer, OffsetOrderPlacedConsumerDefinition>();
            bus.AddConsumer<OffsetOrderFailedConsumer, OffsetOrderFailedConsumerDefinition>();
        });
        return builder;
    }

    /// <summary>The Api's middleware and endpoints, in order.</summary>
    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseCors();
        app.UseRateLimiter();

        app.MapOpenApi();
        app.MapCheckoutApi();
        app.MapOrdersApi();
        app.MapPortfoliosApi();
        app.MapConfigApi();
        app.MapStripeWebhook();
        app.MapAdminApi();
        app.MapDefaultEndpoints();
        return app;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services) =>
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton(services, TimeProvider.System);
}
