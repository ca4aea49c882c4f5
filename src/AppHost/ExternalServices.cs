using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.AppHost;

/// <summary>The sandboxes standing in for Stripe and Wren; null where the real service is used.</summary>
internal sealed record Sandboxes(IResourceBuilder<ProjectResource>? Stripe, IResourceBuilder<ProjectResource>? Wren);

/// <summary>
/// Which Stripe and which Wren the services talk to (decided once, in <see cref="ServiceVariables"/>).
/// With no Stripe key (nor <c>STRIPE_API_BASE</c>) configured, the Stripe sandbox stands in for Stripe: it
/// posts signed webhooks to the Api and its storefront is a frontend of the Api. With no Wren token (nor
/// <c>WREN_API_BASE</c>) configured, the Wren sandbox stands in for Wren, with a token it treats as live so
/// orders are stored (nothing real is bought). Configured keys mean the real services, and no sandbox is
/// started. Sandboxes only exist in run mode: a published (deployed) app never contains them, and each
/// refuses to start in Production anyway.
/// </summary>
internal static class ExternalServices
{
    public const string WrenSandboxToken = "puffin-local-wren-sandbox";

    public static Sandboxes AddSandboxes(
        this IDistributedApplicationBuilder builder, ServiceVariables variables, IResourceBuilder<ProjectResource> api)
    {
        IResourceBuilder<ProjectResource>? stripe = null;
        if (variables.UseStripeSandbox)
        {
            var apiUrl = api.GetEndpoint("http");
            stripe = builder.AddProject<Projects.StripeSandbox>("stripe-sandbox")
                .WithHttpEndpoint()
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
                .WithEnvironment("STRIPE_WEBHOOK_SECRET", variables.StripeWebhookSecret)
                .WithEnvironment("STRIPE_SANDBOX_WEBHOOK_URL", ReferenceExpression.Create($"{apiUrl}/api/webhooks/stripe"))
                .WithEnvironment("PUFFIN_API_URL", apiUrl)
                .WithEnvironment("STRIPE_SANDBOX_DELIVER_TWICE", ServiceVariables.Configured(builder.Configuration, "STRIPE_SANDBOX_DELIVER_TWICE") ?? "false")
                .WithHttpHealthCheck("/health")
                .WithUrlForEndpoint("http", url => url.DisplayText = "Storefront");
            stripe.WithUrl($"{stripe.GetEndpoint("http")}/c/pending", "Pending payments");
        }

        IResourceBuilder<ProjectResource>? wren = null;
        if (variables.UseWrenSandbox)
        {
            wren = builder.AddProject<Projects.WrenSandbox>("wren-sandbox")
                .WithHttpEndpoint()
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Development")
                .WithEnvironment("WrenSandbox__LiveTokens__0", WrenSandboxToken)
                .WithHttpHealthCheck("/health");
        }

        builder.Eventing.Subscribe<BeforeStartEvent>((startEvent, _) =>
        {
            var logger = startEvent.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PuffinOffset.AppHost");
            logger.ExternalServiceChosen("Stripe", variables.UseStripeSandbox
                ? "the local Stripe sandbox (resource stripe-sandbox; no STRIPE_SECRET_KEY given)"
                : $"{variables.StripeApiBase ?? "https://api.stripe.com"} with the configured STRIPE_SECRET_KEY");
            logger.ExternalServiceChosen("Wren", variables.UseWrenSandbox
                ? "the local Wren sandbox (resource wren-sandbox; no WREN_API_TOKEN given)"
                : $"{variables.WrenApiBase ?? "https://www.wren.co"} with the configured WREN_API_TOKEN, WREN_DRY_RUN={variables.WrenDryRun}");
            return Task.CompletedTask;
        });
        return new Sandboxes(stripe, wren);
    }
}
