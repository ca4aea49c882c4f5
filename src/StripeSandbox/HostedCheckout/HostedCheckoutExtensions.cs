using Microsoft.Extensions.DependencyInjection.Extensions;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.Storefront;
using PuffinOffset.StripeSandbox.Webhooks;

namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>What a person sees and Stripe sends: the hosted checkout, webhook delivery and the storefront.</summary>
public static class HostedCheckoutExtensions
{
    public static IServiceCollection AddStripeSandboxCheckout(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddStripeSandboxOptions();
        services.AddSingleton<EventLog>();
        services.AddSingleton<WebhookQueue>();
        services.AddSingleton<HostedCheckoutSessions>();
        services.AddSingleton<PaidPayments>();
        services.AddHttpClient(WebhookSender.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(15));
        services.AddHostedService<WebhookSender>();
        services.AddHostedService<SessionExpiry>();
        return services;
    }

    public static IEndpointRouteBuilder MapStripeSandboxCheckout(this IEndpointRouteBuilder app)
    {
        app.MapCheckoutPage();
        app.MapPendingPaymentsPage();
        app.MapStorefront();
        app.MapWebhookControls();
        return app;
    }
}
