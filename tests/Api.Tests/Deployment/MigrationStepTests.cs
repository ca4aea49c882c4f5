using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// The built Api run as production runs it: `dotnet Api.dll migrate` as its own step, then the service
/// with MIGRATE_ON_STARTUP=false, which must never touch the schema itself.
/// </summary>
public sealed class MigrationStepTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly TempFolder _folder = new();

    private string Database => _folder.File("orders.db");

    [Fact]
    public async Task The_migrate_command_applies_every_migration_and_exits_0()
    {
        var outcome = await RunApiAsync(Settings(), "migrate");

        Assert.True(outcome.ExitCode == 0, outcome.Output);
        Assert.Contains("Api: applied", outcome.Output, StringComparison.Ordinal);
        Assert.Equal(AllMigrations(), await AppliedMigrationsAsync());

        var again = await RunApiAsync(Settings(), "migrate");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Contains("database is up to date", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_migrate_command_exits_non_zero_with_the_reason_when_it_cannot_migrate()
    {
        File.WriteAllText(_folder.File("not-a-folder"), "");
        var settings = Settings();
        settings["DATABASE_PATH"] = Path.Combine(_folder.File("not-a-folder"), "orders.db");

        var outcome = await RunApiAsync(settings, "migrate");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("Api: migrate failed: ", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_MIGRATE_ON_STARTUP_false_the_api_does_not_migrate_and_refuses_a_schema_that_is_behind()
    {
        var settings = Settings();
        settings["MIGRATE_ON_STARTUP"] = "false";

        var outcome = await RunApiAsync(settings);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains($"  - MIGRATE_ON_STARTUP is false and the Api database is {AllMigrations().Count} migration(s) behind", outcome.Output, StringComparison.Ordinal);
        Assert.Contains("migrate", outcome.Output, StringComparison.Ordinal);
        Assert.Empty(await AppliedMigrationsAsync());
    }

    [Fact]
    public async Task A_malformed_MIGRATE_ON_STARTUP_is_a_startup_error_naming_it()
    {
        var settings = Settings();
        settings["MIGRATE_ON_STARTUP"] = "no";

        var outcome = await RunApiAsync(settings);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("  - MIGRATE_ON_STARTUP must be true or false", outcome.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Database));
    }

    [Fact]
    public async Task Both_forms_of_a_secret_stop_the_api_before_it_touches_the_database()
    {
        var secretFile = _folder.File("webhook-secret");
        await File.WriteAllTextAsync(secretFile, "whsec_fromfile\n");
        var settings = Settings();
        settings["STRIPE_WEBHOOK_SECRET_FILE"] = secretFile;

        var outcome = await RunApiAsync(settings);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("  - STRIPE_WEBHOOK_SECRET and STRIPE_WEBHOOK_SECRET_FILE are both set", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("whsec_", outcome.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Database));
    }

    public void Dispose() => _folder.Dispose();

    private Dictionary<string, string> Settings() => new()
    {
        ["STRIPE_SECRET_KEY"] = "sk_test_migrate",
        ["STRIPE_WEBHOOK_SECRET"] = ApiHost.WebhookSecret,
        ["FRONTEND_URL"] = "http://localhost:5173",
        ["DATABASE_PATH"] = Database,
        ["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1/",
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
    };

    private static Task<ServiceProcess.Outcome> RunApiAsync(Dictionary<string, string> settings, params string[] arguments) =>
        ServiceProcess.RunUntilExitAsync(typeof(ApiEntryPoint).Assembly.Location, settings, Timeout, arguments);

    private static List<string> AllMigrations()
    {
        using var db = new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite("Data Source=:memory:").Options);
        return [.. db.Database.GetMigrations()];
    }

    private async Task<List<string>> AppliedMigrationsAsync()
    {
        if (!File.Exists(Database))
        {
            return [];
        }

        await using var connection = new SqliteConnection($"Data Source={Database};Pooling=False");
        await connection.OpenAsync();
        await using var exists = connection.CreateCommand();
        exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = '__EFMigrationsHistory'";
        if ((long)(await exists.ExecuteScalarAsync())! == 0)
        {
            return [];
        }

        await using var query = connection.CreateCommand();
        query.CommandText = "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId";
        var applied = new List<string>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            applied.Add(reader.GetString(0));
        }

        return applied;
    }
}

/// <summary>MIGRATE_ON_STARTUP=false serves a database the migration step already brought up to date.</summary>
public sealed class MigratedDatabaseTests : ApiTestBase
{
    [Fact]
    public async Task With_MIGRATE_ON_STARTUP_false_the_api_serves_a_database_that_is_up_to_date()
    {
        // The first Api (MIGRATE_ON_STARTUP unset, so true) migrated the file as its host started.
        Client.Dispose();
        await Api.DisposeAsync();

        Api = await StartApiAsync(settings => settings["MIGRATE_ON_STARTUP"] = "false");
        Client = Api.CreateClient();

        var created = await CreateOrderAsync();
        Assert.Equal(PuffinOffset.Api.Orders.OrderStatus.Pending, (await OrderAsync(created.OrderId)).Status);
    }
}
