using Microsoft.Extensions.Options;

namespace PuffinOffset.StripeSandbox.Configuration;

/// <summary>Maps the sandbox's environment variables onto <see cref="StripeSandboxOptions"/> and validates them.</summary>
public static class StripeSandboxConfiguration
{
    public static IServiceCollection AddStripeSandboxOptions(this IServiceCollection services)
    {
        services.AddOptions<StripeSandboxOptions>()
            .Configure<IConfiguration>((options, config) =>
            {
                options.WebhookUrl = AbsoluteUri(config["STRIPE_SANDBOX_WEBHOOK_URL"]) ?? options.WebhookUrl;
                // The Api accepts a comma-separated list while a secret is rolled; Stripe signs with the newest.
                options.WebhookSecret = config["STRIPE_WEBHOOK_SECRET"]?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .FirstOrDefault() ?? options.WebhookSecret;
                options.DeliverWebhooks = config["STRIPE_SANDBOX_WEBHOOKS"]?.Trim() != "off";
                options.DeliverTwice = bool.TryParse(config["STRIPE_SANDBOX_DELIVER_TWICE"], out var twice) ? twice : options.DeliverTwice;
                options.WebhookMaxAttempts = int.TryParse(config["STRIPE_SANDBOX_WEBHOOK_MAX_ATTEMPTS"], out var attempts) ? attempts : options.WebhookMaxAttempts;
                options.WebhookRetryDelay = TimeSpan.TryParse(config["STRIPE_SANDBOX_WEBHOOK_RETRY_DELAY"], out var delay) ? delay : options.WebhookRetryDelay;
                options.PuffinApiUrl = AbsoluteUri(config["PUFFIN_API_URL"]) ?? options.PuffinApiUrl;
            })
            .Validate(o => o.WebhookUrl is null || !string.IsNullOrWhiteSpace(o.WebhookSecret),
                "STRIPE_WEBHOOK_SECRET is required when STRIPE_SANDBOX_WEBHOOK_URL is set: events are signed with it.")
            .Validate(o => o.WebhookSecret is null || o.WebhookSecret.StartsWith("whsec_", StringComparison.Ordinal),
                "STRIPE_WEBHOOK_SECRET must start with whsec_, like the secrets Stripe issues.")
            .Validate<IConfiguration>((_, config) => config["STRIPE_SANDBOX_WEBHOOKS"]?.Trim() is null or "" or "on" or "off",
                "STRIPE_SANDBOX_WEBHOOKS must be on or off.")
            .Validate(o => o.WebhookMaxAttempts >= 1, "STRIPE_SANDBOX_WEBHOOK_MAX_ATTEMPTS must be at least 1.")
            .Validate(o => o.WebhookRetryDelay > TimeSpan.Zero, "STRIPE_SANDBOX_WEBHOOK_RETRY_DELAY must be a positive time span, e.g. 00:00:01.")
            .ValidateOnStart();
        return services;
    }

    private static Uri? AbsoluteUri(string? value) =>
        Uri.TryCreate(value?.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
}
