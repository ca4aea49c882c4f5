using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace PuffinOffset.AppHost;

/// <summary>
/// A PostgreSQL server from Debian's package that the AppHost starts (scripts/postgres-local.sh run: initdb
/// on first use, the databases created when missing) and stops (DCP sends TERM, the script shuts the server
/// down fast), for <c>DATABASE_PROVIDER=postgres</c> without connection strings or a container engine.
/// Its data lives in .local/postgres/{instance}, so orders survive a restart; the port is picked free at
/// every start. Mirrors the local rabbitmq-server (Messaging/LocalRabbitMqServer.cs).
/// </summary>
internal static class LocalPostgresServer
{
    /// <summary>Config key naming the instance (default <c>dev</c>); each instance has its own data folder.</summary>
    public const string InstanceKey = "LocalPostgres:Instance";

    public static ServiceDatabases AddLocalPostgresServer(this IDistributedApplicationBuilder builder, int apiReplicas, int fulfillmentReplicas)
    {
        var instance = builder.Configuration[InstanceKey] is { Length: > 0 } configured ? configured : "dev";
        var dataFolder = RepositoryPaths.Local(builder, "postgres", instance);
        var port = FreeTcpPort();
        var databases = new[] { "orders", "fulfillment" };

        const string healthCheck = "postgres-databases";
        builder.Services.AddHealthChecks().AddAsyncCheck(healthCheck, cancellationToken => ProbeAsync(port, databases, cancellationToken));

        var server = builder.AddExecutable("postgres", RepositoryPaths.Script(builder, "postgres-local.sh"), RepositoryPaths.Root(builder),
                ["run", dataFolder, Text(port), .. databases])
            .WithHealthCheck(healthCheck);

        return new("postgres", Database(builder, "orders", port), Database(builder, "fulfillment", port), server,
            apiReplicas, fulfillmentReplicas,
            $"a local PostgreSQL started by the AppHost on 127.0.0.1:{port} (databases orders and fulfillment), data in {dataFolder}",
            WaitForServer: true);
    }

    private static IResourceBuilder<IResourceWithConnectionString> Database(IDistributedApplicationBuilder builder, string name, int port) =>
        builder.AddConnectionString($"{name}-db", ReferenceExpression.Create(
            $"Host=127.0.0.1;Port={Text(port)};Username=postgres;Database={name}"));

    /// <summary>Ready when every service's database takes a connection: the script creates them after the server starts.</summary>
    private static async Task<HealthCheckResult> ProbeAsync(int port, IEnumerable<string> databases, CancellationToken cancellationToken)
    {
        foreach (var database in databases)
        {
            var connectionString = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port, Username = "postgres", Database = database, Pooling = false, Timeout = 5,
            }.ToString();
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"database {database} on 127.0.0.1:{port} is not ready yet ({ex.Message})");
            }
        }

        return HealthCheckResult.Healthy();
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
