using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Configuration;

/// <summary>The built Fulfillment, run as its own process, refuses to start on configuration that cannot be trusted.</summary>
public sealed class FulfillmentStartupTests
{
    [Fact]
    public async Task Fulfillment_exits_non_zero_naming_WREN_API_TOKEN_when_it_is_missing()
    {
        using var data = new TempFolder();
        var database = data.File("fulfillment.db");

        var outcome = await ServiceProcess.RunUntilExitAsync(typeof(FulfillmentEntryPoint).Assembly.Location, new Dictionary<string, string>
        {
            ["WREN_DRY_RUN"] = "true",
            ["FULFILLMENT_DATABASE_PATH"] = database,
            ["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        }, TimeSpan.FromSeconds(60));

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("Fulfillment cannot start: its configuration is invalid.", outcome.Output, StringComparison.Ordinal);
        Assert.Contains("  - WREN_API_TOKEN is required", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", outcome.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(database), "a misconfigured Fulfillment touches no database");
    }

    [Theory]
    [InlineData("WREN_DRY_RUN", "0", "  - WREN_DRY_RUN must be true or false, not '0'")]
    [InlineData("Fulfillment__WrenTimeout", "30s", "  - Fulfillment__WrenTimeout is not a valid TimeSpan")]
    public async Task Fulfillment_exits_non_zero_naming_a_malformed_variable(string variable, string value, string expected)
    {
        using var data = new TempFolder();
        var database = data.File("fulfillment.db");
        var variables = new Dictionary<string, string>
        {
            ["WREN_API_TOKEN"] = "wren_test_startup",
            ["WREN_DRY_RUN"] = "true",
            ["FULFILLMENT_DATABASE_PATH"] = database,
            ["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        };
        variables[variable] = value;

        var outcome = await ServiceProcess.RunUntilExitAsync(typeof(FulfillmentEntryPoint).Assembly.Location, variables, TimeSpan.FromSeconds(60));

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("Fulfillment cannot start: its configuration is invalid.", outcome.Output, StringComparison.Ordinal);
        Assert.Contains(expected, outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", outcome.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(database), "a misconfigured Fulfillment touches no database");
    }
}

/// <summary>Fulfillment's migration step as production runs it: `dotnet Fulfillment.dll migrate`, needing only its database settings.</summary>
public sealed class FulfillmentMigrateCommandTests
{
    [Fact]
    public async Task The_migrate_command_creates_the_folder_and_schema_and_exits_0_without_a_wren_token_or_broker()
    {
        using var data = new TempFolder();
        var database = Path.Combine(data.Path, "new-folder", "fulfillment.db");
        var settings = new Dictionary<string, string>
        {
            ["FULFILLMENT_DATABASE_PATH"] = database,
            ["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1/",
        };

        var migrate = await ServiceProcess.RunUntilExitAsync(typeof(FulfillmentEntryPoint).Assembly.Location, settings, TimeSpan.FromSeconds(60), "migrate");

        Assert.True(migrate.ExitCode == 0, migrate.Output);
        Assert.Contains("Fulfillment: applied", migrate.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(database));
    }
}
