using System.Net;
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
        var dataFolder = LocalServers.DataFolder("rabbitmq", instance);
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
                Assert.True(await LocalServers.AcceptsConnectionsAsync(amqpPort));
            }

            await Eventually.TrueAsync(async () => !await LocalServers.AcceptsConnectionsAsync(amqpPort), TimeSpan.FromSeconds(30),
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
}
