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

                var dryRun = config["WREN_DRY_RUN"];
                options.DryRun = string.IsNullOrWhiteSpace(dryRun) || !bool.TryParse(dryRun, out var parsed) || parsed;
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WrenOptions>, WrenOptionsValidator>();
        services.AddOptions<FulfillmentOptions>()
            .BindConfiguration(FulfillmentOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.LeaseDuration > 2 * o.WrenTimeout,
                "Fulfillment:LeaseDuration must be more than twice Fulfillment:WrenTimeout (a lookup and a POST fit in one lease).")
            .ValidateOnStart();
        return services;
    }

    public static string DatabasePath(IConfiguration configuration) =>
        configuration["FULFILLMENT_DATABASE_PATH"] is { Length: > 0 } path ? path : DefaultDatabasePath;
}
