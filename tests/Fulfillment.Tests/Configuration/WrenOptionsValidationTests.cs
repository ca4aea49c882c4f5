using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;

namespace PuffinOffset.Fulfillment.Tests.Configuration;

[Trait("Engine", "Neutral")]
public sealed class WrenOptionsValidationTests
{
    [Fact]
    public void A_token_alone_is_enough_and_dry_run_is_the_default()
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = " wren_test_token " });

        Assert.Empty(Failures(services));
        var wren = services.GetRequiredService<IOptions<WrenOptions>>().Value;
        Assert.Equal("wren_test_token", wren.ApiToken);
        Assert.True(wren.DryRun);
        Assert.Equal(new Uri("https://www.wren.co"), wren.ApiBase);
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("False", false)]
    [InlineData("true", true)]
    [InlineData("", true)]
    public void WREN_DRY_RUN_turns_off_only_when_explicitly_false(string value, bool dryRun)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_DRY_RUN"] = value });

        Assert.Empty(Failures(services));
        Assert.Equal(dryRun, services.GetRequiredService<IOptions<WrenOptions>>().Value.DryRun);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("no")]
    [InlineData("flase")]
    public void WREN_DRY_RUN_other_than_true_or_false_is_a_startup_error_naming_it(string value)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_DRY_RUN"] = value });

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith($"WREN_DRY_RUN must be true or false, not '{value}'", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 900)]
    [InlineData("00:01:00", 60)]
    [InlineData("1.00:00:00", 86400)]
    public void WREN_MAX_RETRY_AFTER_defaults_to_fifteen_minutes(string? value, int seconds)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_MAX_RETRY_AFTER"] = value });

        Assert.Empty(Failures(services));
        Assert.Equal(TimeSpan.FromSeconds(seconds), services.GetRequiredService<IOptions<WrenOptions>>().Value.MaxRetryAfter);
    }

    [Theory]
    [InlineData("15m")]
    [InlineData("900")]
    [InlineData("00:00:00")]
    [InlineData("-00:01:00")]
    public void A_malformed_or_non_positive_WREN_MAX_RETRY_AFTER_is_a_startup_error_naming_it(string value)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_MAX_RETRY_AFTER"] = value });

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith("WREN_MAX_RETRY_AFTER must be a positive time span", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Fulfillment:WrenTimeout", "30s", "Fulfillment__WrenTimeout is not a valid TimeSpan")]
    [InlineData("Fulfillment:UnknownOutcomeSettleTime", "ten seconds", "Fulfillment__UnknownOutcomeSettleTime is not a valid TimeSpan")]
    [InlineData("Fulfillment:RetryDelays:1", "5 min", "Fulfillment__RetryDelays__1 is not a valid list of TimeSpans")]
    [InlineData("Fulfillment:MaxConcurrency", "four", "Fulfillment__MaxConcurrency is not a valid whole number")]
    public void A_malformed_fulfilment_setting_is_a_startup_error_naming_its_variable(string key, string value, string expected)
    {
        using var services = Services(new()
        {
            ["WREN_API_TOKEN"] = "wren_test_token",
            ["Fulfillment:RetryDelays:0"] = "00:00:01",
            [key] = value,
        });

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 16)]
    [InlineData("32", 32)]
    [InlineData(" 1 ", 1)]
    public void WREN_MAX_CONCURRENCY_sets_the_Wren_calls_in_flight_and_defaults_to_16(string? value, int expected)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_MAX_CONCURRENCY"] = value });

        Assert.Empty(Failures(services));
        Assert.Equal(expected, services.GetRequiredService<IOptions<FulfillmentOptions>>().Value.MaxConcurrency);
    }

    [Theory]
    [InlineData("sixteen", "WREN_MAX_CONCURRENCY must be a whole number between 1 and 256, not 'sixteen'")]
    [InlineData("16 calls", "WREN_MAX_CONCURRENCY must be a whole number between 1 and 256, not '16 calls'")]
    [InlineData("0", "WREN_MAX_CONCURRENCY must be between 1 and 256")]
    [InlineData("1000", "WREN_MAX_CONCURRENCY must be between 1 and 256")]
    public void A_malformed_or_out_of_range_WREN_MAX_CONCURRENCY_is_a_startup_error_naming_it(string value, string expected)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_MAX_CONCURRENCY"] = value });

        var failure = Assert.Single(Failures(services));
        Assert.Contains(expected, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Fulfillment:WrenTimeout", "00:00:00")]
    [InlineData("Fulfillment:UnknownOutcomeSettleTime", "-00:00:01")]
    public void A_zero_timeout_or_a_negative_settle_time_is_a_startup_error(string key, string value)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", [key] = value });

        Assert.Contains(Failures(services), f => f.Contains(key.Split(':')[1], StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Fulfillment:RetryDelays:0", "00:00:00", "Fulfillment__RetryDelays__<n> must be more than zero")]
    [InlineData("Fulfillment:RetryDelays:0", "-00:00:01", "Fulfillment__RetryDelays__<n> must be more than zero")]
    [InlineData("Fulfillment:UnknownOutcomeSettleTime", "00:00:00", "more than zero, or a lookup races Wren still writing an order")]
    public void A_zero_retry_delay_or_settle_time_is_a_startup_error_naming_its_variable_and_why(string key, string value, string expected)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", [key] = value }, "Testing");

        Assert.Contains(expected, Assert.Single(Failures(services)), StringComparison.Ordinal);
    }

    [Fact]
    public void Well_formed_fulfilment_settings_are_bound()
    {
        using var services = Services(new()
        {
            ["WREN_API_TOKEN"] = "wren_test_token",
            ["Fulfillment:WrenTimeout"] = "00:00:45",
            ["Fulfillment:RetryDelays:0"] = "00:00:02",
            ["Fulfillment:RetryDelays:1"] = "00:01:00",
        });

        Assert.Empty(Failures(services));
        var options = services.GetRequiredService<IOptions<FulfillmentOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(45), options.WrenTimeout);
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1)], options.RetryDelays);
    }

    [Fact]
    public void WREN_API_BASE_points_at_another_server()
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_API_BASE"] = "http://127.0.0.1:12112" });

        Assert.Equal(new Uri("http://127.0.0.1:12112"), services.GetRequiredService<IOptions<WrenOptions>>().Value.ApiBase);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void A_missing_token_is_named_even_for_dry_runs(string? token)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = token, ["WREN_DRY_RUN"] = "true" });

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith("WREN_API_TOKEN is required", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void The_database_path_has_the_contract_default()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>()).Build();
        Assert.Equal("data/fulfillment.db", FulfillmentConfiguration.DatabasePath(configuration));

        var configured = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["FULFILLMENT_DATABASE_PATH"] = "/var/lib/puffin/f.db" }).Build();
        Assert.Equal("/var/lib/puffin/f.db", FulfillmentConfiguration.DatabasePath(configured));
    }

    [Theory]
    [InlineData("Production", "http://wren-proxy.internal", true)]
    [InlineData("Production", "http://127.0.0.1:12112", false)]
    [InlineData("Production", "https://www.wren.co", false)]
    [InlineData("Development", "http://wren-proxy.internal", false)]
    public void In_Production_WREN_API_BASE_over_plain_http_to_another_host_is_refused(string environment, string apiBase, bool refused)
    {
        using var services = Services(new() { ["WREN_API_TOKEN"] = "wren_test_token", ["WREN_API_BASE"] = apiBase }, environment);

        var failures = Failures(services);
        if (refused)
        {
            Assert.StartsWith("WREN_API_BASE must be an https URL in Production", Assert.Single(failures), StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(failures);
        }
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, string? environment = null)
    {
        var services = new ServiceCollection();
        if (environment is not null)
        {
            services.AddSingleton<IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = environment });
        }

        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddFulfillmentOptions();
        return services.BuildServiceProvider();
    }

    private static IReadOnlyList<string> Failures(ServiceProvider services)
    {
        try
        {
            services.GetRequiredService<IStartupValidator>().Validate();
            return [];
        }
        catch (Exception ex)
        {
            var failures = StartupChecks.ConfigurationFailures(ex);
            Assert.NotEmpty(failures);
            return failures;
        }
    }
}
