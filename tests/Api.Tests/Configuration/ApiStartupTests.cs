using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Configuration;

/// <summary>The built Api, run as its own process, refuses to start without its webhook secret.</summary>
[Trait("Engine", "Neutral")]
[Collection(RunsAlone.Name)]
public sealed class ApiStartupTests
{
    [Fact]
    public async Task The_api_exits_non_zero_naming_STRIPE_WEBHOOK_SECRET_when_it_is_missing()
    {
        using var data = new TempFolder();
        var database = data.File("orders.db");

        var outcome = await ServiceProcess.RunUntilExitAsync(typeof(ApiEntryPoint).Assembly.Location, new Dictionary<string, string>
        {
            ["STRIPE_SECRET_KEY"] = "sk_test_startup",
            ["FRONTEND_URL"] = "http://localhost:5173",
            ["WREN_API_TOKEN"] = "wren_test_startup",
            ["DATABASE_PATH"] = database,
            ["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        }, TimeSpan.FromSeconds(60));

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("Api cannot start: its configuration is invalid.", outcome.Output, StringComparison.Ordinal);
        Assert.Contains("  - STRIPE_WEBHOOK_SECRET is required", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("STRIPE_SECRET_KEY is required", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", outcome.Output, StringComparison.Ordinal); // a message, not a stack trace
        Assert.False(File.Exists(database), "a misconfigured Api touches no database");
    }

    [Fact]
    public async Task The_api_exits_non_zero_naming_PAID_ORDER_RESEND_AFTER_when_it_is_malformed()
    {
        var outcome = await RunWithAsync("PAID_ORDER_RESEND_AFTER", "15min");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("  - PAID_ORDER_RESEND_AFTER must be a positive time span written hh:mm:ss", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_api_exits_non_zero_naming_Outbox__PollInterval_when_it_is_malformed()
    {
        var outcome = await RunWithAsync("Outbox__PollInterval", "2s");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("  - Outbox__PollInterval is not a valid TimeSpan", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", outcome.Output, StringComparison.Ordinal); // a message, not a stack trace
    }

    /// <summary>Runs the built Api with a valid configuration except <paramref name="variable"/> set to <paramref name="value"/>.</summary>
    private static async Task<ServiceProcess.Outcome> RunWithAsync(string variable, string value)
    {
        using var data = new TempFolder();
        return await ServiceProcess.RunUntilExitAsync(typeof(ApiEntryPoint).Assembly.Location, new Dictionary<string, string>
        {
            ["STRIPE_SECRET_KEY"] = "sk_test_startup",
            ["STRIPE_WEBHOOK_SECRET"] = "whsec_startup",
            ["FRONTEND_URL"] = "http://localhost:5173",
            ["WREN_API_TOKEN"] = "wren_test_startup",
            ["DATABASE_PATH"] = data.File("orders.db"),
            ["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1/",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            [variable] = value,
        }, TimeSpan.FromSeconds(60));
    }
}
