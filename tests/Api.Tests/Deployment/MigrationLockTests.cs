using Npgsql;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// PostgreSQL: replicas starting together migrate one at a time under an advisory lock. The chaos soak saw a replica
/// whose wait for that lock outlasted the command timeout (another replica migrating on a loaded machine) crash at
/// start. Here the timeout is 1 s and the lock is held several seconds longer: the Api waits and starts.
/// </summary>
public sealed class MigrationLockTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);
    private readonly TempFolder _folder = new();
    private StripeSandboxHost _stripe = null!;
    private WrenStub _wren = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeSandboxHost.StartAsync();
        _wren = await WrenStub.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _stripe.DisposeAsync();
        await _wren.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_replica_waiting_for_another_ones_migration_longer_than_the_command_timeout_still_starts()
    {
        if (!TestDatabase.IsPostgres)
        {
            return; // SQLite has one process per file and no migration lock
        }

        var brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        var settings = await ApiHost.SettingsAsync(_folder.File("orders.db"), brokerUri, _stripe.BaseAddress, _wren.BaseAddress);
        var connectionString = settings["ConnectionStrings:orders"]!;
        settings["ConnectionStrings:orders"] = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 1 }.ToString();

        // Another replica is migrating: it holds the lock.
        await using var other = new NpgsqlConnection(connectionString);
        await other.OpenAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", other))
        {
            take.Parameters.AddWithValue("key", OneReplica.LockKey("migrations:Api"));
            await take.ExecuteNonQueryAsync();
        }

        var starting = ServiceHost.StartApiAsync(settings);
        await Eventually.TrueAsync(async () =>
            {
                Assert.False(starting.IsFaulted, starting.Exception?.InnerException?.Message.Split('\n')[0]);
                await using var probe = new NpgsqlCommand(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_advisory_lock%' AND wait_event_type = 'Lock' AND now() - query_start > interval '3 seconds'", other);
                return (long)(await probe.ExecuteScalarAsync())! > 0;
            }, Bound, "the starting Api has waited for the lock three times its command timeout");

        await using (var release = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", other))
        {
            await release.ExecuteNonQueryAsync();
        }

        await using var api = await starting.WaitAsync(Bound);
        using var client = api.CreateClient();
        using var health = await client.GetAsync("/alive");
        Assert.True(health.IsSuccessStatusCode);
    }
}
