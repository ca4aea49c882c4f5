using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PuffinOffset.AppHost.Messaging;

/// <summary>
/// A rabbitmq-server node that the AppHost starts (scripts/rabbitmq-local.sh, in the foreground) and
/// stops (DCP sends TERM, the node shuts down cleanly). Its data lives in .local/rabbitmq/{instance},
/// so queued messages survive a restart; ports are picked free at every start.
/// </summary>
internal static class LocalRabbitMqServer
{
    /// <summary>Config key naming the instance (default <c>dev</c>); each instance has its own node and data.</summary>
    public const string InstanceKey = "LocalRabbitMq:Instance";

    public static MessagingBroker AddLocalRabbitMqServer(this IDistributedApplicationBuilder builder, string name)
    {
        var instance = builder.Configuration[InstanceKey] is { Length: > 0 } configured ? configured : "dev";
        var dataFolder = RepositoryPaths.Local(builder, "rabbitmq", instance);
        var amqpPort = FreeTcpPort();
        var managementPort = FreeTcpPort();

        var healthCheck = $"{name}-amqp-port";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, cancellationToken => ProbeAsync(amqpPort, cancellationToken));

        var server = builder.AddExecutable("rabbitmq", RepositoryPaths.Script(builder, "rabbitmq-local.sh"), RepositoryPaths.Root(builder),
                dataFolder,
                NodeName(instance, dataFolder),
                Text(amqpPort),
                Text(FreeTcpPort()),
                Text(managementPort))
            .WithHttpEndpoint(port: managementPort, targetPort: managementPort, name: "management", isProxied: false)
            .WithHealthCheck(healthCheck);

        var connectionString = builder.AddConnectionString(name,
            ReferenceExpression.Create($"amqp://guest:guest@127.0.0.1:{Text(amqpPort)}/"));

        return new(connectionString, server,
            $"a local rabbitmq-server started by the AppHost on 127.0.0.1:{amqpPort}, data in {dataFolder}");
    }

    /// <summary>RabbitMQ opens its AMQP listener last during boot, so an accepted connection means ready.</summary>
    private static async Task<HealthCheckResult> ProbeAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SocketException)
        {
            return HealthCheckResult.Unhealthy($"nothing listens on 127.0.0.1:{port} yet");
        }
    }

    /// <summary>
    /// Node names are global to the machine, so two clones of the repository must not share one; the same
    /// folder keeps its name (and so its data) from run to run.
    /// </summary>
    private static string NodeName(string instance, string dataFolder) =>
        $"puffin-{instance}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(dataFolder)))[..8]}@localhost";

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
