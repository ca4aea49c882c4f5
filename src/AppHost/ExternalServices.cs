using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.AppHost;

/// <summary>
/// Which Stripe and which Wren the services talk to. With no Stripe key (nor <c>STRIPE_API_BASE</c>)
/// configured, the Stripe sandbox stands in for Stripe: the Api's <c>STRIPE_API_BASE</c> points at it,
/// it posts signed webhooks to the Api, and its storefront becomes the Api's <c>FRONTEND_URL</c>. With no
/// Wren token (nor <c>WREN_API_BASE</c>) configured, the Wren sandbox stands in for Wren, with a token it
/// treats as live so orders are stored and <c>WREN_DRY_RUN</c> defaults to false (nothing real is bought).
/// Configured keys mean the real services, and no sandbox is started. Sandboxes only exist in run mode:
/// a published (deployed) app never contains them, and each refuses to start in Production anyway.
/// </summary>
internal static class ExternalServices
{
    private const string WrenSandboxToken = "puffin-local-wren-sandbox";

    public static void AddStripeAndWren(
        this IDistributedApplicationBuilder builder,
        ServiceVariables variables,
        IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ProjectResource> fulfillment)
    {
        var config = builder.Configuration;
        var runMode = builder.ExecutionContext.IsRunMode;
        var useStripeSandbox = runMode && !ServiceVariables.IsConfigured(config, "stripe-secret-key", "STRIPE_SECRET_KEY")
                               && ServiceVariables.Configured(config, "STRIPE_API_BASE") is null;
        var useWrenSandbox = runMode && !ServiceVariables.IsConfigured(config, "wren-api-token", "WREN_API_TOKEN")
                             && ServiceVariables.Configured(config, "WREN_API_BASE") is null;

        if (useStripeSandbox)
        {
            var apiUrl = api.GetEndpoint("http");
            var stripe = builder.AddProject<Projects.StripeSandbox>("stripe-sandbox")
                .WithHttpEndpoint()
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
                .WithEnvironment("STRIPE_WEBHOOK_SECRET", variables.StripeWebhookSecret)
                .WithEnvironment("STRIPE_SANDBOX_WEBHOOK_URL", ReferenceExpression.Create($"{apiUrl}/api/webhooks/stripe"))
                .WithEnvironment("PUFFIN_API_URL", apiUrl)
                .WithEnvironment("STRIPE_SANDBOX_DELIVER_TWICE", ServiceVariables.Configured(config, "STRIPE_SANDBOX_DELIVER_TWICE") ?? "false")
                .WithHttpHealthCheck("/health")
                .WithUrlForEndpoint("http", url => url.DisplayText = "Storefront");
            var storefront = stripe.GetEndpoint("http");
            stripe.WithUrl($"{storefront}/c/pending", "Pending payments");

            // Later environment callbacks win: these replace the values WithApiVariables set.
            api.WithEnvironment("STRIPE_API_BASE", storefront)
                .WithEnvironment("FRONTEND_URL", variables.FrontendUrlConfigured
                    ? ReferenceExpression.Create($"{storefront},{variables.FrontendUrl}")
                    : ReferenceExpression.Create($"{storefront}"))
                .WaitFor(stripe);
        }

        if (useWrenSandbox)
        {
            var wren = builder.AddProject<Projects.WrenSandbox>("wren-sandbox")
                .WithHttpEndpoint()
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
                .WithEnvironment("WrenSandbox__LiveTokens__0", WrenSandboxToken)
                .WithHttpHealthCheck("/health");
            var wrenUrl = wren.GetEndpoint("http");
            foreach (var service in new[] { api, fulfillment })
            {
                service.WithEnvironment("WREN_API_BASE", wrenUrl)
                    .WithEnvironment("WREN_API_TOKEN", WrenSandboxToken)
                    .WaitFor(wren);
            }

            fulfillment.WithEnvironment("WREN_DRY_RUN", ServiceVariables.Configured(config, "WREN_DRY_RUN") ?? "false");
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((startEvent, _) =>
        {
            var logger = startEvent.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PuffinOffset.AppHost");
            logger.ExternalServiceChosen("Stripe", useStripeSandbox
                ? "the local Stripe sandbox (resource stripe-sandbox; no STRIPE_SECRET_KEY given)"
                : $"{ServiceVariables.Configured(config, "STRIPE_API_BASE") ?? "https://api.stripe.com"} with the configured STRIPE_SECRET_KEY");
            logger.ExternalServiceChosen("Wren", useWrenSandbox
                ? "the local Wren sandbox (resource wren-sandbox; no WREN_API_TOKEN given)"
                : $"{ServiceVariables.Configured(config, "WREN_API_BASE") ?? "https://www.wren.co"} with the configured WREN_API_TOKEN, WREN_DRY_RUN={variables.WrenDryRun}");
            return Task.CompletedTask;
        });
    }
}
