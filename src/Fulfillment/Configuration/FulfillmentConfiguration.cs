using PuffinOffset.Platform.Configuration;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>Maps the contract's environment variables onto options and validates them at startup.</summary>
public static class FulfillmentConfiguration
{
    public const string DefaultDatabasePath = "data/fulfillment.db";

    public static IServiceCollection AddFulfillmentOptions(this IServiceCollection services)
    {
        services.AddOptions<WrenOptions>()
            .Configure<IConfiguration>((options, config) =>
            {
                options.ApiToken = config["WREN_API_TOKEN"]?.Trim() ?? "";
                if (Uri.TryCreate(config["WREN_API_BASE"], UriKind.Absolute, out var apiBase))
                {
                    options.ApiBase = apiBase;
                }

                // Absent means dry run; anything but true/false is refused by the validator (never read as either).
                options.DryRun = StrictBinding.StrictBoolean(config["WREN_DRY_RUN"], out _) ?? true;
                // Malformed: the validator names the variable; the default is never used silently.
                options.MaxRetryAfter = StrictTimeSpan(config[MaxRetryAfterVariable], out _) ?? options.MaxRetryAfter;
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WrenOptions>, WrenOptionsValidator>();
        services.AddSingleton<IValidateOptions<FulfillmentOptions>, MaxConcurrencyValidator>();
        services.AddOptions<FulfillmentOptions>()
            .BindStrictly(FulfillmentOptions.Section)
            .Configure<IConfiguration>((options, config) =>
            {
                // The contract's name wins over the section's; a malformed value is refused by the validator below.
                if (StrictWholeNumber(config[MaxConcurrencyVariable], out _) is { } concurrency)
                {
                    options.MaxConcurrency = concurrency;
                }
            })
            .ValidateDataAnnotations()
            // A zero delay retries a failing Wren at once, in a loop, until the horizon: a flood, not a backoff.
            .Validate(options => options.RetryDelays.All(delay => delay > TimeSpan.Zero),
                "Fulfillment__RetryDelays__<n> must be more than zero: a zero delay retries a failing Wren call at once, in a tight loop.")
            .Validate(o => o.LeaseDuration > 2 * o.WrenTimeout,
                "Fulfillment__LeaseDuration must be more than twice Fulfillment__WrenTimeout (a lookup and a POST fit in one lease).")
            .ValidateOnStart();
        services.AddHostedService<DryRunWarning>();
        return services;
    }

    public const string MaxConcurrencyVariable = "WREN_MAX_CONCURRENCY";
    public const string MaxRetryAfterVariable = "WREN_MAX_RETRY_AFTER";

    /// <summary>A time span written <c>hh:mm:ss</c> (the invariant "c" format: "15" alone would be fifteen days); null when absent.</summary>
    public static TimeSpan? StrictTimeSpan(string? value, out bool malformed)
    {
        malformed = false;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Contains(':', StringComparison.Ordinal)
            && TimeSpan.TryParseExact(value.Trim(), "c", System.Globalization.CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        malformed = true;
        return null;
    }

    /// <summary>A whole number written as digits only (no "16 calls", no "1e2"); null when absent.</summary>
    public static int? StrictWholeNumber(string? value, out bool malformed)
    {
        malformed = false;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value.Trim(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        malformed = true;
        return null;
    }

    public static string DatabasePath(IConfiguration configuration) =>
        configuration["FULFILLMENT_DATABASE_PATH"] is { Length: > 0 } path ? path : DefaultDatabasePath;
}
