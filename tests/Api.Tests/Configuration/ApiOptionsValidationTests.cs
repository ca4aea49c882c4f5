using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Retention;

namespace PuffinOffset.Api.Tests.Configuration;

/// <summary>The contract's variables → validated options: every problem named by its variable, no secret echoed.</summary>
[Trait("Engine", "Neutral")]
public sealed class ApiOptionsValidationTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["STRIPE_SECRET_KEY"] = "sk_test_valid",
        ["STRIPE_WEBHOOK_SECRET"] = "whsec_valid",
        ["FRONTEND_URL"] = "https://puffinoffset.example",
    };

    [Fact]
    public void A_complete_configuration_is_accepted_and_mapped()
    {
        using var services = Services(With(new()
        {
            ["STRIPE_WEBHOOK_SECRET"] = " whsec_new , whsec_old ,,",
            ["FRONTEND_URL"] = "https://shop.example/, http://localhost:5173",
            ["STRIPE_API_BASE"] = "http://127.0.0.1:12111",
            ["STRIPE_PUBLISHABLE_KEY"] = "pk_test_abc",
            ["WREN_API_BASE"] = "http://127.0.0.1:12112",
            ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
            ["ADMIN_API_KEY"] = "admin-key-TESTONLY-0123456789abcdef",
            ["DATABASE_PATH"] = "/var/lib/puffin/orders.db",
        }));

        Assert.Empty(Failures(services));
        var stripe = services.GetRequiredService<IOptions<StripeOptions>>().Value;
        Assert.Equal(["whsec_new", "whsec_old"], stripe.WebhookSecrets);
        Assert.Equal(new Uri("http://127.0.0.1:12111"), stripe.ApiBase);
        Assert.Equal("pk_test_abc", stripe.PublishableKey);
        var frontend = services.GetRequiredService<IOptions<FrontendOptions>>().Value;
        Assert.Equal([new Uri("https://shop.example"), new Uri("http://localhost:5173")], frontend.Origins);
        Assert.Equal(new Uri("https://shop.example"), frontend.BaseUrl);
        Assert.Equal(new Uri("http://127.0.0.1:12112"), services.GetRequiredService<IOptions<WrenPricingOptions>>().Value.ApiBase);
        var checkout = services.GetRequiredService<IOptions<CheckoutOptions>>().Value;
        Assert.Equal(0, checkout.RateLimitPerMinute);
    }

    [Fact]
    public void Optional_variables_fall_back_to_the_contract_defaults()
    {
        using var services = Services(Valid);

        Assert.Empty(Failures(services));
        Assert.Equal(new Uri("https://api.stripe.com"), services.GetRequiredService<IOptions<StripeOptions>>().Value.ApiBase);
        Assert.Equal(new Uri("https://www.wren.co"), services.GetRequiredService<IOptions<WrenPricingOptions>>().Value.ApiBase);
        var checkout = services.GetRequiredService<IOptions<CheckoutOptions>>().Value;
        Assert.Equal(30, checkout.RateLimitPerMinute);
    }

    [Fact]
    public void The_recovery_jobs_read_their_time_spans_as_hh_mm_ss_with_the_contract_defaults()
    {
        using var defaults = Services(Valid);
        using var configured = Services(With(new()
        {
            ["PAID_ORDER_RESEND_AFTER"] = "00:05:00",
            ["STRIPE_RECONCILE_INTERVAL"] = "00:00:30",
            ["STRIPE_RECONCILE_AFTER"] = "01:00:00",
        }));

        Assert.Empty(Failures(defaults));
        Assert.Empty(Failures(configured));
        var fallback = defaults.GetRequiredService<IOptions<OrderRecoveryOptions>>().Value;
        Assert.Equal((TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10)),
            (fallback.PaidOrderResendAfter, fallback.StripeReconcileInterval, fallback.StripeReconcileAfter));
        var set = configured.GetRequiredService<IOptions<OrderRecoveryOptions>>().Value;
        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), TimeSpan.FromHours(1)),
            (set.PaidOrderResendAfter, set.StripeReconcileInterval, set.StripeReconcileAfter));
    }

    [Fact]
    public void Nothing_configured_names_every_required_variable_once()
    {
        using var services = Services(new());

        var failures = Failures(services);

        Assert.Single(failures, f => f.StartsWith("STRIPE_SECRET_KEY is required", StringComparison.Ordinal));
        Assert.Single(failures, f => f.StartsWith("STRIPE_WEBHOOK_SECRET is required", StringComparison.Ordinal));
        Assert.Single(failures, f => f.StartsWith("FRONTEND_URL is required", StringComparison.Ordinal));
        Assert.Equal(3, failures.Count);
    }

    [Theory]
    [InlineData("STRIPE_SECRET_KEY", "")]
    [InlineData("STRIPE_WEBHOOK_SECRET", "  ")]
    [InlineData("STRIPE_WEBHOOK_SECRET", ",")]
    [InlineData("FRONTEND_URL", "")]
    [InlineData("FRONTEND_URL", "not a url")]
    public void A_missing_required_variable_is_named(string variable, string value)
    {
        using var services = Services(With(new() { [variable] = value }));

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith(variable + " is required", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("STRIPE_SECRET_KEY", "pk_live_SECRET_VALUE_1")]
    [InlineData("STRIPE_WEBHOOK_SECRET", "whsec_fine,SECRET_VALUE_2")]
    [InlineData("CHECKOUT_RATE_LIMIT_PER_MINUTE", "-1")]
    [InlineData("CHECKOUT_RATE_LIMIT_PER_MINUTE", "lots")]
    [InlineData("PAID_ORDER_RESEND_AFTER", "15m")]
    [InlineData("PAID_ORDER_RESEND_AFTER", "15")]
    [InlineData("PAID_ORDER_RESEND_AFTER", "00:00:00")]
    [InlineData("STRIPE_RECONCILE_INTERVAL", "1 minute")]
    [InlineData("STRIPE_RECONCILE_AFTER", "-00:10:00")]
    [InlineData("STRIPE_API_BASE", "api.stripe.com")]
    [InlineData("WREN_API_BASE", "not a url")]
    [InlineData("FRONTEND_URL", "https://shop.example, shop two")]
    public void A_malformed_variable_is_named_without_echoing_its_value(string variable, string value)
    {
        using var services = Services(With(new() { [variable] = value }));

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith(variable + " must", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET_VALUE", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Retention_defaults_to_400_days_of_customer_data_and_90_days_of_stripe_events()
    {
        using var services = Services(Valid);

        Assert.Empty(Failures(services));
        var retention = services.GetRequiredService<IOptions<DataRetentionOptions>>().Value;
        Assert.Equal(TimeSpan.FromDays(400), retention.CustomerData);
        Assert.Equal(TimeSpan.FromDays(90), retention.StripeEvents);
    }

    [Theory]
    [InlineData("CUSTOMER_DATA_RETENTION", "400 days", "CUSTOMER_DATA_RETENTION must be a positive time span")]
    [InlineData("CUSTOMER_DATA_RETENTION", "00:00:00", "CUSTOMER_DATA_RETENTION must be a positive time span")]
    [InlineData("STRIPE_EVENT_RETENTION", "90", "STRIPE_EVENT_RETENTION must be a time span written d.hh:mm:ss of at least 33.00:00:00")]
    [InlineData("STRIPE_EVENT_RETENTION", "32.23:59:59", "STRIPE_EVENT_RETENTION must be a time span written d.hh:mm:ss of at least 33.00:00:00")]
    public void A_retention_that_is_malformed_or_shorter_than_its_purpose_is_refused_saying_why(string variable, string value, string expected)
    {
        using var services = Services(With(new() { [variable] = value }));

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        if (variable == "STRIPE_EVENT_RETENTION")
        {
            Assert.Contains("applied twice", failure, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Retention_reads_its_variables()
    {
        using var services = Services(With(new() { ["CUSTOMER_DATA_RETENTION"] = "30.00:00:00", ["STRIPE_EVENT_RETENTION"] = "33.00:00:00" }));

        Assert.Empty(Failures(services));
        var retention = services.GetRequiredService<IOptions<DataRetentionOptions>>().Value;
        Assert.Equal(TimeSpan.FromDays(30), retention.CustomerData);
        Assert.Equal(TimeSpan.FromDays(33), retention.StripeEvents);
    }

    private static Dictionary<string, string?> With(Dictionary<string, string?> changes)
    {
        var settings = new Dictionary<string, string?>(Valid);
        foreach (var (key, value) in changes)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Theory]
    [InlineData("STRIPE_API_BASE", "http://stripe-proxy.internal:8080")]
    [InlineData("WREN_API_BASE", "http://10.1.2.3")]
    public void In_Production_plain_http_to_another_host_is_refused_naming_the_variable(string variable, string value)
    {
        using var services = Services(With(new() { [variable] = value }), "Production");

        var failure = Assert.Single(Failures(services));
        Assert.StartsWith(variable + " must be an https URL in Production", failure, StringComparison.Ordinal);
        Assert.Contains("clear text", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", "http://127.0.0.1:12111")]
    [InlineData("Production", "http://localhost:12111")]
    [InlineData("Production", "https://stripe-proxy.internal")]
    [InlineData("Development", "http://stripe-proxy.internal:8080")]
    public void Loopback_https_or_outside_Production_any_http_base_is_accepted(string environment, string value)
    {
        using var services = Services(With(new() { ["STRIPE_API_BASE"] = value, ["WREN_API_BASE"] = value }), environment);

        Assert.Empty(Failures(services));
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, string? environment = null)
    {
        var services = new ServiceCollection();
        if (environment is not null)
        {
            services.AddSingleton<IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = environment });
        }

        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddApiOptions();
        services.AddDataRetention();
        return services.BuildServiceProvider();
    }

    /// <summary>What startup would report: every failure of every options type (as RunServiceAsync prints them).</summary>
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
            Assert.NotEmpty(failures); // anything else than a configuration error is a bug
            return failures;
        }
    }
}
