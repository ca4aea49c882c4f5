using System.Net;
using System.Net.Sockets;
using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>
/// With no broker configured and no container engine, the AppHost runs rabbitmq-server itself
/// (the path a fresh developer machine takes), and stops it again on shutdown.
/// </summary>
public sealed class LocalBrokerTests
{
    [Fact]
    public async Task The_apphost_starts_its_own_rabbitmq_server_the_services_become_healthy_and_shutdown_stops_the_broker()
    {
        var instance = $"test-{Guid.NewGuid():N}"[..20];
        var dataFolder = Path.Combine(RepositoryRoot(), ".local", "rabbitmq", instance);
        int amqpPort;
        try
        {
            await using (var system = await SystemUnderTest.StartAsync("MessagingBroker=local", $"LocalRabbitMq:Instance={instance}"))
            {
                await system.WaitUntilHealthyAsync("rabbitmq");
                foreach (var service in SystemUnderTest.Services)
                {
                    await system.WaitUntilHealthyAsync(service);
                    Assert.Equal(HttpStatusCode.OK, await system.HealthAsync(service));
                }

                var connectionString = await system.App.GetConnectionStringAsync("messaging");
                amqpPort = new Uri(connectionString!).Port;
                Assert.True(Directory.Exists(Path.Combine(dataFolder, "mnesia")), "the broker keeps its data in .local/rabbitmq/{instance}");
                Assert.True(await AcceptsConnectionsAsync(amqpPort));
            }

            await Eventually.TrueAsync(async () => !await AcceptsConnectionsAsync(amqpPort), TimeSpan.FromSeconds(30),
                "the AppHost stops its broker when it shuts down");
        }
        finally
        {
            if (Directory.Exists(dataFolder))
            {
                Directory.Delete(dataFolder, recursive: true);
            }
        }
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "PuffinOffset.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("PuffinOffset.sln not found above the test binaries.");
    }
}
