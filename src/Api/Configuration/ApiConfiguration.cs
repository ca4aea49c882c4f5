using Microsoft.Extensions.Options;

namespace PuffinOffset.Api.Configuration;

/// <summary>
/// The one place that maps the contract's environment variables onto options and validates them,
/// so startup fails naming every missing or malformed variable at once.
/// </summary>
public static class ApiConfiguration
{
    /// <summary>The Api's SQLite file when <c>DATABASE_PATH</c> is not set.</summary>
    public const string DefaultDatabasePath = "data/orders.db";

    public static IServiceCollection AddApiOptions(this IServiceCollection services)
    {
        services.AddOptions<StripeOptions>()
            .Configure<IConfiguration>((options, config) =>
            {
                options.SecretKey = config["STRIPE_SECRET_KEY"]?.Trim() ?? "";
                options.WebhookSecrets = SplitList(config["STRIPE_WEBHOOK_SECRET"]);
                options.PublishableKey = NullIfEmpty(config["STRIPE_PUBLISHABLE_KEY"]);
                if (Uri.TryCreate(config["STRIPE_API_BASE"], UriKind.Absolute, out var apiBase))
                {
                    options.ApiBase = apiBase;
                }
            })
            .Validate<IConfiguration>((_, config) => ConfigurationValues.IsHttpUrlOrUnset(config["STRIPE_API_BASE"]),
                "STRIPE_API_BASE must be an absolute http(s) URL, e.g. https://api.stripe.com.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StripeOptions>, StripeOptionsValidator>();

        services.AddOptions<WrenPricingOptions>()
            .Configure<IConfiguration>((options, config) =>
            {
                options.ApiToken = NullIfEmpty(config["WREN_API_TOKEN"]);
                if (Uri.TryCreate(config["WREN_API_BASE"], UriKind.Absolute, out var apiBase))
                {
                    options.ApiBase = apiBase;
                }
            })
            .Validate<IConfiguration>((o, config) => o.ApiBase.Scheme is "http" or "https" && ConfigurationValues.IsHttpUrlOrUnset(config["WREN_API_BASE"]),
                "WREN_API_BASE must be an absolute http(s) URL, e.g. https://www.wren.co.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WrenPricingOptions>, WrenPricingOptionsValidator>();

        services.AddOptions<FrontendOptions>()
            .Configure<IConfiguration>((options, config) =>
                options.Origins = SplitList(config["FRONTEND_URL"])
                    .Select(origin => Uri.TryCreate(origin.TrimEnd('/'), UriKind.Absolute, out var uri) ? uri : null)
                    .OfType<Uri>()
                    .ToList())
            .Validate(o => o.Origins.Count > 0, "FRONTEND_URL is required: the storefront origin(s), comma-separated, e.g. https://puffinoffset.example.")
            .Validate<IConfiguration>((o, config) => o.Origins.Count == 0 || o.Origins.Count == SplitList(config["FRONTEND_URL"]).Count,
                "FRONTEND_URL must list only absolute URLs, comma-separated, e.g. https://puffinoffset.example.")
            .ValidateOnStart();

        services.AddOptions<CheckoutOptions>()
            .Configure<IConfiguration>((options, config) =>
            {
                var limit = config["CHECKOUT_RATE_LIMIT_PER_MINUTE"];
                options.RateLimitPerMinute = string.IsNullOrWhiteSpace(limit) ? options.RateLimitPerMinute
                    : int.TryParse(limit, out var parsed) ? parsed : -1;
            })
            .Validate(o => o.RateLimitPerMinute >= 0, "CHECKOUT_RATE_LIMIT_PER_MINUTE must be a whole number ≥ 0 (0 turns the limit off).")
            .ValidateOnStart();

        services.AddOptions<OrderRecoveryOptions>()
            .Configure<IConfiguration>((options, config) =>
            {
                options.PaidOrderResendAfter = ConfigurationValues.TimeSpanOr(config[PaidOrderResendAfter], options.PaidOrderResendAfter);
                options.StripeReconcileInterval = ConfigurationValues.TimeSpanOr(config[StripeReconcileInterval], options.StripeReconcileInterval);
                options.StripeReconcileAfter = ConfigurationValues.TimeSpanOr(config[StripeReconcileAfter], options.StripeReconcileAfter);
            })
            .Validate<IConfiguration>((o, config) => ConfigurationValues.IsTimeSpanOrUnset(config[PaidOrderResendAfter]) && o.PaidOrderResendAfter > TimeSpan.Zero,
                $"{PaidOrderResendAfter} must be a positive time span written hh:mm:ss, e.g. 00:15:00.")
            .Validate<IConfiguration>((o, config) => ConfigurationValues.IsTimeSpanOrUnset(config[StripeReconcileInterval]) && o.StripeReconcileInterval > TimeSpan.Zero,
                $"{StripeReconcileInterval} must be a positive time span written hh:mm:ss, e.g. 00:01:00.")
            .Validate<IConfiguration>((o, config) => ConfigurationValues.IsTimeSpanOrUnset(config[StripeReconcileAfter]) && o.StripeReconcileAfter >= TimeSpan.Zero,
                $"{StripeReconcileAfter} must be a time span written hh:mm:ss, e.g. 00:10:00.")
            .ValidateOnStart();

        return services;
    }

    public const string PaidOrderResendAfter = "PAID_ORDER_RESEND_AFTER";
    public const string StripeReconcileInterval = "STRIPE_RECONCILE_INTERVAL";
    public const string StripeReconcileAfter = "STRIPE_RECONCILE_AFTER";

    public static IReadOnlyList<string> SplitList(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
