using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Configuration;

/// <summary>One process per SQLite file: a second Fulfillment on a file in use would buy offsets twice.</summary>
public sealed class SingleProcessTests : FulfillmentScenario
{
    [Fact]
    public async Task A_second_Fulfillment_process_on_the_same_database_file_refuses_to_start()
    {
        // The file lock is SQLite's: on the PostgreSQL pass too, both processes run on the SQLite file.
        await using var first = await StartFulfillmentAsync(OnSqliteFile);

        var second = await ServiceProcess.RunUntilExitAsync(typeof(FulfillmentEntryPoint).Assembly.Location, new Dictionary<string, string>
        {
            ["WREN_API_TOKEN"] = FulfillmentTestHost.LiveToken,
            ["WREN_API_BASE"] = Wren.BaseAddress.ToString(),
            ["WREN_DRY_RUN"] = "false",
            ["FULFILLMENT_DATABASE_PATH"] = DatabasePath,
            ["DATABASE_PROVIDER"] = "sqlite",
            ["ConnectionStrings__messaging"] = BrokerUri,
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        }, TimeSpan.FromSeconds(60));

        Assert.Equal(1, second.ExitCode);
        Assert.Contains($"Fulfillment cannot start: The database {DatabasePath} is in use by another process", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", second.Output, StringComparison.Ordinal);
        // The first one carries on.
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await PlacedAsync(orderId);
    }

    [Fact]
    public async Task The_file_is_free_again_once_the_first_host_has_stopped()
    {
        await using (await StartFulfillmentAsync(OnSqliteFile))
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => StartFulfillmentAsync(OnSqliteFile));
            Assert.Contains("is in use by another process", refused.Message, StringComparison.Ordinal);
        }

        await using var restarted = await StartFulfillmentAsync(OnSqliteFile);
        using var probe = new SqliteFileLock(DatabasePath);
        Assert.Throws<InvalidOperationException>(probe.Acquire);
    }

    private void OnSqliteFile(Dictionary<string, string?> settings)
    {
        settings["DATABASE_PROVIDER"] = "sqlite";
        settings["FULFILLMENT_DATABASE_PATH"] = DatabasePath;
    }
}
