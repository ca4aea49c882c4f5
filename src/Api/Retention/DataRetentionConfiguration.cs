using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Platform.Configuration;

namespace PuffinOffset.Api.Retention;

public static class DataRetentionConfiguration
{
    public static IServiceCollection AddDataRetention(this IServiceCollection services)
    {
        services.AddOptions<DataRetentionOptions>()
            .BindStrictly(DataRetentionOptions.Section)
            .Configure<IConfiguration>((options, config) =>
            {
                options.CustomerData = ConfigurationValues.TimeSpanOr(config[DataRetentionOptions.CustomerDataVariable], options.CustomerData);
                options.StripeEvents = ConfigurationValues.TimeSpanOr(config[DataRetentionOptions.StripeEventsVariable], options.StripeEvents);
            })
            .ValidateDataAnnotations()
            .Validate<IConfiguration>((o, config) => ConfigurationValues.IsTimeSpanOrUnset(config[DataRetentionOptions.CustomerDataVariable]) && o.CustomerData > TimeSpan.Zero,
                $"{DataRetentionOptions.CustomerDataVariable} must be a positive time span written d.hh:mm:ss, e.g. 400.00:00:00.")
            .Validate<IConfiguration>((o, config) => ConfigurationValues.IsTimeSpanOrUnset(config[DataRetentionOptions.StripeEventsVariable]) && o.StripeEvents >= DataRetentionOptions.StripeDedupeWindow,
                $"{DataRetentionOptions.StripeEventsVariable} must be a time span written d.hh:mm:ss of at least 33.00:00:00, e.g. 90.00:00:00: "
                + "Stripe retries an event for 3 days and the Events API lists 30 days back, and an event forgotten sooner would be applied twice.")
            .ValidateOnStart();
        services.AddSingleton<RetentionMetrics>();
        services.AddSingleton<DataRetentionService>();
        services.AddHostedService(provider => provider.GetRequiredService<DataRetentionService>());
        return services;
    }
}
