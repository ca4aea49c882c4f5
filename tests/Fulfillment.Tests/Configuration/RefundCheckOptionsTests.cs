using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Refunds;

namespace PuffinOffset.Fulfillment.Tests.Configuration;

/// <summary>API_INTERNAL_URLS and API_SERVICE_KEY: when the refund check is on, and when running without it is refused.</summary>
[Trait("Engine", "Neutral")]
public sealed class RefundCheckOptionsTests
{
    private const string Key = "fulfillment-TESTONLY-0123456789abcdef0123";

    [Fact]
    public void Several_Api_urls_are_asked_in_the_order_given_with_the_service_key()
    {
        using var services = Services(new() { ["API_INTERNAL_URLS"] = "http://127.0.0.1:9464, http://127.0.0.1:9466", ["API_SERVICE_KEY"] = Key });

        Assert.Empty(Failures(services));
        var options = services.GetRequiredService<IOptions<ApiRefundCheckOptions>>().Value;
        Assert.Equal([new Uri("http://127.0.0.1:9464"), new Uri("http://127.0.0.1:9466")], options.ApiUrls);
        Assert.True(options.Enabled);
    }

    [Fact]
    public void Urls_without_a_service_key_or_a_malformed_url_are_refused_naming_the_variable()
    {
        using var noKey = Services(new() { ["API_INTERNAL_URLS"] = "http://127.0.0.1:9464" });
        using var malformed = Services(new() { ["API_INTERNAL_URLS"] = "127.0.0.1:9464", ["API_SERVICE_KEY"] = Key });

        Assert.StartsWith("API_SERVICE_KEY (or API_SERVICE_KEY_FILE) is required", Assert.Single(Failures(noKey)), StringComparison.Ordinal);
        Assert.StartsWith("API_INTERNAL_URLS must list absolute http(s) URLs", Assert.Single(Failures(malformed)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", "postgres", true)]
    [InlineData("Production", "sqlite", false)]
    [InlineData("Development", "postgres", false)]
    public void Without_urls_Fulfillment_refuses_to_start_only_in_Production_on_PostgreSQL(string environment, string provider, bool refused)
    {
        using var services = Services(new() { ["DATABASE_PROVIDER"] = provider }, environment);

        var failures = Failures(services);

        Assert.Equal(refused, failures.Any(f => f.StartsWith("API_INTERNAL_URLS is required in Production on PostgreSQL", StringComparison.Ordinal)));
        Assert.Equal(refused ? 1 : 0, failures.Count);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings, string environment = "Testing")
    {
        var services = new ServiceCollection();
        services.AddSingleton<IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = environment });
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddLogging();
        services.AddRefundCheck();
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
