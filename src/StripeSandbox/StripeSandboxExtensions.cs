using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.StripeSandbox.Storefront;
using PuffinOffset.StripeSandbox.Webhooks;

namespace PuffinOffset.StripeSandbox;

public static class StripeSandboxExtensions
{
    /// <summary>The sandbox's state (sessions, idempotency records, received requests, injected faults).</summary>
    public static IServiceCollection AddStripeSandbox(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<CheckoutSessionStore>();
        services.AddSingleton<IdempotencyRecords>();
        services.AddSingleton<ReceivedRequests>();
        services.AddSingleton<FaultInjector>();
        services.AddSingleton<ApiOutage>();
        services.AddStripeSandboxCheckout();
        return services;
    }

    /// <summary>Stripe's API surface we use (<c>/v1/...</c>) and the test controls (<c>/_sandbox/...</c>).</summary>
    public static IEndpointRouteBuilder MapStripeSandbox(this IEndpointRouteBuilder app)
    {
        app.MapCheckoutSessionsApi();
        app.MapSandboxControlApi();
        app.MapStripeSandboxCheckout();
        return app;
    }
}
