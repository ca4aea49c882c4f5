using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>Secrets from files (*_FILE) and TRUSTED_PROXIES, as ServiceDefaults reads them for both services.</summary>
[Trait("Engine", "Neutral")]
public sealed class DeploymentSettingsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Theory]
    [InlineData("STRIPE_SECRET_KEY")]
    [InlineData("STRIPE_WEBHOOK_SECRET")]
    [InlineData("WREN_API_TOKEN")]
    [InlineData("ADMIN_API_KEY")]
    public void A_secret_file_gives_the_secret_without_its_trailing_newline(string name)
    {
        var file = _folder.File(name.ToLowerInvariant());
        File.WriteAllText(file, "s3cr3t value\n");

        using var host = Build(new() { [name + "_FILE"] = file });

        Assert.Empty(Failures(host));
        Assert.Equal("s3cr3t value", host.Services.GetRequiredService<IConfiguration>()[name]);
    }

    [Theory]
    [InlineData("orders", "Host=db;Database=orders;Username=puffin_api;Password=p4ss")]
    [InlineData("fulfillment", "Host=db;Database=fulfillment;Username=puffin_fulfillment;Passfile=/run/credentials/pgpass")]
    [InlineData("messaging", "amqp://puffin:p4ss@broker:5672/puffin")]
    public void A_connection_string_file_gives_the_connection_string_with_its_password(string name, string connectionString)
    {
        var file = _folder.File(name);
        File.WriteAllText(file, connectionString + "\n");

        // ConnectionStrings__orders_FILE in the environment is this key.
        using var host = Build(new() { [$"ConnectionStrings:{name}_FILE"] = file });

        Assert.Empty(Failures(host));
        Assert.Equal(connectionString, host.Services.GetRequiredService<IConfiguration>().GetConnectionString(name));
    }

    [Fact]
    public void Both_forms_of_a_connection_string_is_a_startup_error_naming_both()
    {
        var file = _folder.File("messaging");
        File.WriteAllText(file, "amqp://puffin:p4ss@broker:5672/puffin");

        using var host = Build(new() { ["ConnectionStrings:messaging"] = "amqp://guest:guest@localhost:5672", ["ConnectionStrings:messaging_FILE"] = file });

        Assert.Equal("ConnectionStrings__messaging and ConnectionStrings__messaging_FILE are both set: give the secret one way only.",
            Assert.Single(Failures(host)));
    }

    [Fact]
    public void Both_forms_of_one_secret_is_a_startup_error_naming_both()
    {
        var file = _folder.File("stripe-secret-key");
        File.WriteAllText(file, "sk_test_FROMFILE\n");

        using var host = Build(new() { ["STRIPE_SECRET_KEY"] = "sk_test_FROMENV", ["STRIPE_SECRET_KEY_FILE"] = file });

        var failure = Assert.Single(Failures(host));
        Assert.Equal("STRIPE_SECRET_KEY and STRIPE_SECRET_KEY_FILE are both set: give the secret one way only.", failure);
    }

    [Fact]
    public void A_secret_file_that_cannot_be_read_is_a_startup_error_naming_the_variable()
    {
        using var host = Build(new() { ["WREN_API_TOKEN_FILE"] = _folder.File("missing") });

        Assert.StartsWith("WREN_API_TOKEN_FILE names a file that cannot be read", Assert.Single(Failures(host)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.0")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0/8")]
    [InlineData("10.0.0.0/")]
    [InlineData("proxy.example")]
    [InlineData("127.0.0.1, nginx")]
    public void A_malformed_TRUSTED_PROXIES_is_a_startup_error(string value)
    {
        using var host = Build(new() { ["TRUSTED_PROXIES"] = value });

        Assert.StartsWith("TRUSTED_PROXIES must be", Assert.Single(Failures(host)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0/0")]
    [InlineData("::/0")]
    [InlineData("127.0.0.1, 10.20.30.40/0")]
    public void Trusting_every_address_is_a_startup_error_that_says_why(string value)
    {
        using var host = Build(new() { ["TRUSTED_PROXIES"] = value });

        var failure = Assert.Single(Failures(host));
        Assert.StartsWith("TRUSTED_PROXIES must not trust every address", failure, StringComparison.Ordinal);
        Assert.Contains("pick its rate-limit partition", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("172.28.0.10/24", "172.28.0.0/24")]
    [InlineData("10.1.2.3/8", "10.0.0.0/8")]
    [InlineData("fd00::1234/64", "fd00::/64")]
    [InlineData("192.168.1.7/32", "192.168.1.7/32")]
    public void A_network_written_with_host_bits_means_its_network(string value, string network)
    {
        using var host = Build(new() { ["TRUSTED_PROXIES"] = value });

        Assert.Empty(Failures(host));
        var forwarded = host.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        Assert.Equal([network], forwarded.KnownIPNetworks.Select(n => n.ToString()));
    }

    [Fact]
    public void Only_the_listed_proxies_are_trusted()
    {
        using var host = Build(new() { ["TRUSTED_PROXIES"] = "127.0.0.1, ::1, 10.1.0.0/16" });

        Assert.Empty(Failures(host));
        var forwarded = host.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        Assert.Equal(["127.0.0.1", "::1"], forwarded.KnownProxies.Select(a => a.ToString()));
        Assert.Equal(["10.1.0.0/16"], forwarded.KnownIPNetworks.Select(n => n.ToString()));
    }

    [Fact]
    public void Without_TRUSTED_PROXIES_no_sender_is_trusted_not_even_loopback()
    {
        using var host = Build([]);

        var forwarded = host.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        Assert.Empty(forwarded.KnownProxies);
        Assert.Empty(forwarded.KnownIPNetworks);
    }

    public void Dispose() => _folder.Dispose();

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddSecretFiles();
        builder.Services.AddTrustedProxies();
        return builder.Build();
    }

    private static IReadOnlyList<string> Failures(IHost host)
    {
        try
        {
            host.Services.GetRequiredService<IStartupValidator>().Validate();
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
