using System.Net.Sockets;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PuffinOffset.Messaging;

/// <summary>
/// Readiness: can the broker be reached right now? MassTransit's bus health check stays Healthy while
/// it quietly reconnects (measured: still Healthy 90 s after the broker stopped), and a service that
/// cannot reach RabbitMQ must leave the load balancer within 30 s. A TCP connect is enough: MassTransit
/// itself reconnects once the broker accepts connections again.
/// </summary>
internal sealed class BrokerConnectivityCheck(Uri brokerUri) : IHealthCheck
{
    public const string Name = "messaging-broker";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var port = brokerUri.IsDefaultPort || brokerUri.Port <= 0
            ? (brokerUri.Scheme == "amqps" ? 5671 : 5672)
            : brokerUri.Port;
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(brokerUri.Host, port, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (SocketException)
        {
            // Host and port only: the URI carries the broker's credentials.
            return HealthCheckResult.Unhealthy($"RabbitMQ at {brokerUri.Host}:{port} does not accept connections.");
        }
    }
}
