using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;

namespace PuffinOffset.AppHost;

/// <summary>
/// The contract's variables (see .env.example) as the AppHost hands them to the services: the one place
/// to read or change them. A value configured for the AppHost wins — the variable itself in its
/// environment (scripts/run.sh loads .env) or <c>Parameters:{name}</c> for a secret — otherwise a
/// local-development default that needs no account: placeholder keys, a webhook secret generated per
/// run, databases under the repository's ignored .local/ folder.
/// </summary>
internal sealed class ServiceVariables
{
    public required IResourceBuilder<ParameterResource> StripeSecretKey { get; init; }
    public required IResourceBuilder<ParameterResource> StripeWebhookSecret { get; init; }
    public required IResourceBuilder<ParameterResource> WrenApiToken { get; init; }
    public required IResourceBuilder<ParameterResource> AdminApiKey { get; init; }

    public string? StripePublishableKey { get; init; }
    public string? StripeApiBase { get; init; }
    public string? WrenApiBase { get; init; }
    public required string WrenDryRun { get; init; }
    public required string FrontendUrl { get; init; }
    public bool FrontendUrlConfigured { get; init; }

    /// <summary>When publishing: the storefront's origin(s) as a parameter the deployment fills in (no developer default).</summary>
    public IResourceBuilder<ParameterResource>? FrontendUrlParameter { get; init; }
    public required string DatabasePath { get; init; }
    public required string FulfillmentDatabasePath { get; init; }
    public string? CheckoutRateLimitPerMinute { get; init; }

    /// <summary>No Stripe key nor STRIPE_API_BASE (run mode only): the Stripe sandbox stands in for Stripe.</summary>
    public bool UseStripeSandbox { get; init; }

    /// <summary>No Wren token nor WREN_API_BASE (run mode only): the Wren sandbox stands in for Wren.</summary>
    public bool UseWrenSandbox { get; init; }

    /// <summary>WREN_DRY_RUN as configured; unset means true against Wren, false against its sandbox.</summary>
    public string? WrenDryRunConfigured { get; init; }

    public static ServiceVariables From(IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var runMode = builder.ExecutionContext.IsRunMode;
        var useStripeSandbox = runMode && !IsConfigured(config, "stripe-secret-key", "STRIPE_SECRET_KEY")
                               && Configured(config, "STRIPE_API_BASE") is null;
        var useWrenSandbox = runMode && !IsConfigured(config, "wren-api-token", "WREN_API_TOKEN")
                             && Configured(config, "WREN_API_BASE") is null;
        return new ServiceVariables
        {
            UseStripeSandbox = useStripeSandbox,
            UseWrenSandbox = useWrenSandbox,
            WrenDryRunConfigured = Configured(config, "WREN_DRY_RUN"),
            StripeSecretKey = Secret(builder, "stripe-secret-key", "STRIPE_SECRET_KEY", "sk_test_local_placeholder"),
            StripeWebhookSecret = Secret(builder, "stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET",
                "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))),
            WrenApiToken = Secret(builder, "wren-api-token", "WREN_API_TOKEN", "wren_test_local_placeholder"),
            // The console and the dashboard's replay command work out of the box: a key generated per run (shown in
            // the dashboard's Parameters tab) unless one is configured; a published manifest asks for one.
            AdminApiKey = Secret(builder, "admin-api-key", "ADMIN_API_KEY", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))),
            StripePublishableKey = Configured(config, "STRIPE_PUBLISHABLE_KEY"),
            StripeApiBase = Configured(config, "STRIPE_API_BASE"),
            WrenApiBase = Configured(config, "WREN_API_BASE"),
            // Against the sandbox nothing real is bought, so orders are stored as live ones by default.
            WrenDryRun = Configured(config, "WREN_DRY_RUN") ?? (useWrenSandbox ? "false" : "true"),
            FrontendUrl = Configured(config, "FRONTEND_URL") ?? "http://localhost:5173",
            FrontendUrlConfigured = Configured(config, "FRONTEND_URL") is not null,
            FrontendUrlParameter = runMode ? null
                : Configured(config, "FRONTEND_URL") is { } frontendUrl ? builder.AddParameter("frontend-url", frontendUrl) : builder.AddParameter("frontend-url"),
            DatabasePath = Configured(config, "DATABASE_PATH") ?? RepositoryPaths.Local(builder, "data", "orders.db"),
            FulfillmentDatabasePath = Configured(config, "FULFILLMENT_DATABASE_PATH") ?? RepositoryPaths.Local(builder, "data", "fulfillment.db"),
            CheckoutRateLimitPerMinute = Configured(config, "CHECKOUT_RATE_LIMIT_PER_MINUTE"),
        };
    }

    // Every parameter gets a value here: an unresolved one would leave the services "Starting" forever.
    private static IResourceBuilder<ParameterResource> Secret(
        IDistributedApplicationBuilder builder, string parameterName, string variable, string localDefault) =>
        builder.AddParameter(parameterName, Configured(builder.Configuration, parameterName, variable) ?? localDefault, secret: true);

    public static bool IsConfigured(IConfiguration config, string parameterName, string variable) =>
        Configured(config, parameterName, variable) is not null;

    private static string? Configured(IConfiguration config, string parameterName, string variable) =>
        Configured(config, $"Parameters:{parameterName}") ?? Configured(config, variable);

    public static string? Configured(IConfiguration config, string key) =>
        config[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}

internal static class ServiceVariablesExtensions
{
    /// <summary>Every Api variable, each set once: the sandbox's address when it stands in, else what is configured.</summary>
    public static IResourceBuilder<ProjectResource> WithApiVariables(
        this IResourceBuilder<ProjectResource> api, ServiceVariables variables, Sandboxes sandboxes)
    {
        api.WithEnvironment("STRIPE_SECRET_KEY", variables.StripeSecretKey)
            .WithEnvironment("STRIPE_WEBHOOK_SECRET", variables.StripeWebhookSecret)
            .WithOptionalEnvironment("STRIPE_PUBLISHABLE_KEY", variables.StripePublishableKey)
            .WithOptionalEnvironment("CHECKOUT_RATE_LIMIT_PER_MINUTE", variables.CheckoutRateLimitPerMinute)
            .WithWrenVariables(variables, sandboxes);

        if (sandboxes.Stripe is { } stripe)
        {
            var stripeUrl = stripe.GetEndpoint("http");
            // The sandbox's storefront is the Api's frontend too (CORS), next to a configured one.
            api.WithEnvironment("STRIPE_API_BASE", stripeUrl)
                .WithEnvironment("FRONTEND_URL", variables.FrontendUrlConfigured
                    ? ReferenceExpression.Create($"{stripeUrl},{variables.FrontendUrl}")
                    : ReferenceExpression.Create($"{stripeUrl}"))
                .WaitFor(stripe);
        }
        else if (variables.FrontendUrlParameter is { } frontendUrl)
        {
            api.WithEnvironment("FRONTEND_URL", frontendUrl)
                .WithOptionalEnvironment("STRIPE_API_BASE", variables.StripeApiBase);
        }
        else
        {
            api.WithEnvironment("FRONTEND_URL", variables.FrontendUrl)
                .WithOptionalEnvironment("STRIPE_API_BASE", variables.StripeApiBase);
        }

        return api.WithEnvironment("ADMIN_API_KEY", variables.AdminApiKey);
    }

    public static IResourceBuilder<ProjectResource> WithFulfillmentVariables(
        this IResourceBuilder<ProjectResource> fulfillment, ServiceVariables variables, Sandboxes sandboxes) =>
        fulfillment.WithEnvironment("WREN_DRY_RUN", variables.WrenDryRun)
            .WithWrenVariables(variables, sandboxes);

    private static IResourceBuilder<ProjectResource> WithWrenVariables(
        this IResourceBuilder<ProjectResource> service, ServiceVariables variables, Sandboxes sandboxes)
    {
        if (sandboxes.Wren is { } wren)
        {
            return service.WithEnvironment("WREN_API_BASE", wren.GetEndpoint("http"))
                .WithEnvironment("WREN_API_TOKEN", ExternalServices.WrenSandboxToken)
                .WaitFor(wren);
        }

        return service.WithEnvironment("WREN_API_TOKEN", variables.WrenApiToken)
            .WithOptionalEnvironment("WREN_API_BASE", variables.WrenApiBase);
    }

    private static IResourceBuilder<ProjectResource> WithOptionalEnvironment(this IResourceBuilder<ProjectResource> project, string name, string? value) =>
        value is null ? project : project.WithEnvironment(name, value);
}
