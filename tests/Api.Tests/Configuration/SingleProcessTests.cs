using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Configuration;

/// <summary>One process per SQLite file: a second Api on a file in use would run a second outbox over the same rows.</summary>
public sealed class SingleProcessTests : ApiTestBase
{
    // The file lock is SQLite's: on the PostgreSQL pass too, both processes run on the SQLite file.
    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["DATABASE_PROVIDER"] = "sqlite";
        settings["DATABASE_PATH"] = DatabasePath;
    }

    [Fact]
    public async Task A_second_Api_process_on_the_same_database_file_refuses_to_start()
    {
        // The Api of this test is running on DatabasePath.
        var second = await ServiceProcess.RunUntilExitAsync(typeof(ApiEntryPoint).Assembly.Location, new Dictionary<string, string>
        {
            ["STRIPE_SECRET_KEY"] = "sk_test_second",
            ["STRIPE_WEBHOOK_SECRET"] = "whsec_second",
            ["FRONTEND_URL"] = "http://localhost:5173",
            ["WREN_API_TOKEN"] = "wren_test_second",
            ["DATABASE_PATH"] = DatabasePath,
            ["DATABASE_PROVIDER"] = "sqlite",
            ["ConnectionStrings__messaging"] = BrokerUri,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        }, TimeSpan.FromSeconds(60));

        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"Api cannot start: The database {DatabasePath} is in use by another process", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", second.Output, StringComparison.Ordinal);
        // The first one carries on.
        await CreateOrderAsync();
    }
}
