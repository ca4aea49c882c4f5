using System.Net;
using Npgsql;
using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>
/// DATABASE_PROVIDER=postgres with no connection strings and no container engine: the AppHost runs Debian's
/// postgres itself (data in .local/postgres/{instance}), creates both services' databases, the services
/// migrate and run on them, and shutdown stops the server.
/// </summary>
public sealed class LocalPostgresTests
{
    [Fact]
    public async Task The_apphost_starts_its_own_postgres_the_services_run_on_their_databases_and_shutdown_stops_it()
    {
        var instance = $"test-{Guid.NewGuid():N}"[..20];
        var dataFolder = LocalServers.DataFolder("postgres", instance);
        var broker = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        var port = 0;
        try
        {
            await using (var system = await SystemUnderTest.StartAsync(
                $"ConnectionStrings:messaging={broker}", "DATABASE_PROVIDER=postgres", "PostgresServer=local", $"LocalPostgres:Instance={instance}"))
            {
                await system.WaitUntilHealthyAsync("postgres");
                foreach (var service in SystemUnderTest.Services)
                {
                    await system.WaitUntilHealthyAsync(service);
                    Assert.Equal(HttpStatusCode.OK, await system.HealthAsync(service));
                }

                Assert.True(File.Exists(Path.Combine(dataFolder, "data", "PG_VERSION")), "the server keeps its data in .local/postgres/{instance}");
                foreach (var (database, table) in new[] { ("orders-db", "orders"), ("fulfillment-db", "offset_fulfillments") })
                {
                    var connectionString = await system.App.GetConnectionStringAsync(database);
                    port = new NpgsqlConnectionStringBuilder(connectionString).Port;
                    Assert.True(await TableExistsAsync(connectionString!, table), $"the service migrated its PostgreSQL database {database} ({table})");
                }
            }

            await Eventually.TrueAsync(async () => !await LocalServers.AcceptsConnectionsAsync(port), TimeSpan.FromSeconds(30),
                "the AppHost stops its PostgreSQL when it shuts down");
        }
        finally
        {
            if (Directory.Exists(dataFolder))
            {
                Directory.Delete(dataFolder, recursive: true);
            }
        }
    }

    private static async Task<bool> TableExistsAsync(string connectionString, string table)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection);
        command.Parameters.AddWithValue("table", table);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
