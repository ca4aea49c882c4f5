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
    public IResourceBuilder<ParameterResource>? AdminApiKey { get; init; }

    public string? StripePublishableKey { get; init; }
    public string? StripeApiBase { get; init; }
    public string? WrenApiBase { get; init; }
    public required string WrenDryRun { get; init; }
    public required string FrontendUrl { get; init; }
    public bool FrontendUrlConfigured { get; init; }
    public required string DatabasePath { get; init; }
    public required string FulfillmentDatabasePath { get; init; }
    public string? CheckoutRateLimitPerMinute { get; init; }

    public static ServiceVariables From(IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration;
        return new ServiceVariables
        {
            StripeSecretKey = Secret(builder, "stripe-secret-key", "STRIPE_SECRET_KEY", "sk_test_local_placeholder"),
            StripeWebhookSecret = Secret(builder, "stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET",
                "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))),
            WrenApiToken = Secret(builder, "wren-api-token", "WREN_API_TOKEN", "wren_test_local_placeholder"),
            AdminApiKey = Configured(config, "admin-api-key", "ADMIN_API_KEY") is { } adminKey
                ? builder.AddParameter("admin-api-key", adminKey, secret: true)
                : null,
            StripePublishableKey = Configured(config, "STRIPE_PUBLISHABLE_KEY"),
            StripeApiBase = Configured(config, "STRIPE_API_BASE"),
            WrenApiBase = Configured(config, "WREN_API_BASE"),
            WrenDryRun = Configured(config, "WREN_DRY_RUN") ?? "true",
            FrontendUrl = Configured(config, "FRONTEND_URL") ?? "http://localhost:5173",
            FrontendUrlConfigured = Configured(config, "FRONTEND_URL") is not null,
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
    public static IResourceBuilder<ProjectResource> WithApiVariables(this IResourceBuilder<ProjectResource> api, ServiceVariables variables)
    {
        api.WithEnvironment("STRIPE_SECRET_KEY", variables.StripeSecretKey)
            .WithEnvironment("STRIPE_WEBHOOK_SECRET", variables.StripeWebhookSecret)
            .WithEnvironment("WREN_API_TOKEN", variables.WrenApiToken)
            .WithEnvironment("FRONTEND_URL", variables.FrontendUrl)
            .WithEnvironment("DATABASE_PATH", variables.DatabasePath)
            .WithOptionalEnvironment("STRIPE_PUBLISHABLE_KEY", variables.StripePublishableKey)
            .WithOptionalEnvironment("STRIPE_API_BASE", variables.StripeApiBase)
            .WithOptionalEnvironment("WREN_API_BASE", variables.WrenApiBase)
            .WithOptionalEnvironment("CHECKOUT_RATE_LIMIT_PER_MINUTE", variables.CheckoutRateLimitPerMinute);
        if (variables.AdminApiKey is not null)
        {
            api.WithEnvironment("ADMIN_API_KEY", variables.AdminApiKey);
        }

        return api;
    }

    public static IResourceBuilder<ProjectResource> WithFulfillmentVariables(this IResourceBuilder<ProjectResource> fulfillment, ServiceVariables variables) =>
        fulfillment.WithEnvironment("WREN_API_TOKEN", variables.WrenApiToken)
            .WithEnvironment("WREN_DRY_RUN", variables.WrenDryRun)
            .WithEnvironment("FULFILLMENT_DATABASE_PATH", variables.FulfillmentDatabasePath)
            .WithOptionalEnvironment("WREN_API_BASE", variables.WrenApiBase);

    private static IResourceBuilder<ProjectResource> WithOptionalEnvironment(this IResourceBuilder<ProjectResource> project, string name, string? value) =>
        value is null ? project : project.WithEnvironment(name, value);
}
