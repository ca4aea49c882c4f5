using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Security;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>Admin keys and the management listener are checked at start, each failure naming its variable.</summary>
public sealed class AdminKeyValidationTests
{
    [Fact]
    public void An_ADMIN_API_KEY_shorter_than_32_characters_is_refused_naming_the_variable()
    {
        var failure = Assert.Single(Failures(new() { ["ADMIN_API_KEY"] = "admin-TESTONLY-only-31-characters"[..31] }));
        Assert.StartsWith("ADMIN_API_KEY must be at least 32 characters", failure, StringComparison.Ordinal);
        Assert.Empty(Failures(new() { ["ADMIN_API_KEY"] = "admin-TESTONLY-exactly-32-charac" }));
    }

    [Fact]
    public void A_keys_file_line_that_is_not_a_name_and_a_sha256_is_refused_by_line_without_echoing_it()
    {
        using var folder = new TempFolder();
        var file = folder.File("admin-keys");
        File.WriteAllText(file, $"# operators\nalice {new string('a', 64)}\nbob admin-TESTONLY-pasted-key-instead-of-its-hash\n");

        var failure = Assert.Single(Failures(new() { ["ADMIN_API_KEYS_FILE"] = file }));

        Assert.StartsWith("ADMIN_API_KEYS_FILE, line 3: expected an operator's name", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("pasted", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_keys_file_and_a_name_given_twice_are_refused()
    {
        using var folder = new TempFolder();
        Assert.StartsWith("ADMIN_API_KEYS_FILE names a file that cannot be read",
            Assert.Single(Failures(new() { ["ADMIN_API_KEYS_FILE"] = folder.File("missing") })), StringComparison.Ordinal);

        var file = folder.File("admin-keys");
        File.WriteAllText(file, $"admin {new string('b', 64)}\n");
        Assert.Contains("\"admin\" is given to more than one key",
            Assert.Single(Failures(new() { ["ADMIN_API_KEYS_FILE"] = file, ["ADMIN_API_KEY"] = "admin-TESTONLY-0123456789abcdef0123" })), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1")]
    [InlineData("127.0.0.1:9464")]
    [InlineData("http://127.0.0.1:0")]
    public void A_MANAGEMENT_URLS_without_an_explicit_port_is_refused(string value) =>
        Assert.StartsWith("MANAGEMENT_URLS must be a comma-separated list of http(s) URLs with an explicit port",
            Assert.Single(Failures(new() { ["MANAGEMENT_URLS"] = value })), StringComparison.Ordinal);

    private static IReadOnlyList<string> Failures(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddAdminKeys();
        services.AddManagementListener();
        using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
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
