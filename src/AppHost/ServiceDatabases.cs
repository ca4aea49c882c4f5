using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PuffinOffset.AppHost.Messaging;

namespace PuffinOffset.AppHost;

/// <summary>
/// Where each service keeps its state, decided once. <c>DATABASE_PROVIDER=sqlite</c> (the run-mode
/// default): a file per service under .local/data. <c>DATABASE_PROVIDER=postgres</c> (always when
/// publishing: production runs on PostgreSQL): each service its own database, from existing
/// <c>ConnectionStrings:orders</c> / <c>ConnectionStrings:fulfillment</c>, else a PostgreSQL container
/// (<c>AddPostgres</c>) when a container engine answers or when publishing a manifest, else a local
/// postgres from Debian's package run by the AppHost (<see cref="LocalPostgresServer"/>), as the broker
/// falls back to a local rabbitmq-server. <c>PostgresServer=container|local</c> forces one of the last two.
/// <c>ApiReplicas</c> / <c>FulfillmentReplicas</c> run several of each, which only PostgreSQL allows
/// (a SQLite file belongs to one process).
/// </summary>
internal sealed record ServiceDatabases(
    string Provider,
    IResourceBuilder<IResourceWithConnectionString>? Orders,
    IResourceBuilder<IResourceWithConnectionString>? Fulfillment,
    IResourceBuilder<IResource>? Server,
    int ApiReplicas,
    int FulfillmentReplicas,
    string Description,
    bool WaitForServer = false);

internal static class ServiceDatabasesExtensions
{
    public const string ProviderKey = "DATABASE_PROVIDER";

    /// <summary>Config key that forces where PostgreSQL comes from: <c>auto</c> (default), <c>container</c> or <c>local</c>.</summary>
    public const string PostgresServerKey = "PostgresServer";

    public static ServiceDatabases AddServiceDatabases(this IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var provider = ServiceVariables.Configured(config, ProviderKey)?.ToLowerInvariant()
                       ?? (builder.ExecutionContext.IsPublishMode ? "postgres" : "sqlite");
        var apiReplicas = Replicas(config, "ApiReplicas");
        var fulfillmentReplicas = Replicas(config, "FulfillmentReplicas");

        var databases = provider switch
        {
            "sqlite" when apiReplicas > 1 || fulfillmentReplicas > 1 => throw new DistributedApplicationException(
                "ApiReplicas and FulfillmentReplicas above 1 need DATABASE_PROVIDER=postgres: a SQLite file belongs to one process."),
            "sqlite" => new ServiceDatabases("sqlite", null, null, null, 1, 1, "SQLite files (DATABASE_PATH, FULFILLMENT_DATABASE_PATH)"),
            "postgres" => Postgres(builder, apiReplicas, fulfillmentReplicas),
            _ => throw new DistributedApplicationException($"{ProviderKey} must be sqlite or postgres, not '{provider}'."),
        };

        builder.Eventing.Subscribe<BeforeStartEvent>((startEvent, _) =>
        {
            startEvent.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PuffinOffset.AppHost")
                .DatabaseChosen(databases.Description, databases.ApiReplicas, databases.FulfillmentReplicas);
            return Task.CompletedTask;
        });
        return databases;
    }

    private static ServiceDatabases Postgres(IDistributedApplicationBuilder builder, int apiReplicas, int fulfillmentReplicas)
    {
        var config = builder.Configuration;
        if (!string.IsNullOrWhiteSpace(config.GetConnectionString("orders")) && !string.IsNullOrWhiteSpace(config.GetConnectionString("fulfillment")))
        {
            return new("postgres", Existing(builder, "orders"), Existing(builder, "fulfillment"), null,
                apiReplicas, fulfillmentReplicas, "the existing PostgreSQL databases in ConnectionStrings:orders and ConnectionStrings:fulfillment");
        }

        var choice = ServiceVariables.Configured(config, PostgresServerKey)?.ToLowerInvariant() ?? "auto";
        if (choice is not ("auto" or "container" or "local"))
        {
            throw new DistributedApplicationException($"{PostgresServerKey} must be auto, container or local, not '{choice}'.");
        }

        if (builder.ExecutionContext.IsPublishMode || choice == "container" || (choice == "auto" && ContainerEngine.Answers(config)))
        {
            var server = builder.AddPostgres("postgres").WithDataVolume();
            return new("postgres", server.AddDatabase("orders-db", "orders"), server.AddDatabase("fulfillment-db", "fulfillment"), server,
                apiReplicas, fulfillmentReplicas, "a PostgreSQL container (databases orders and fulfillment)");
        }

        return builder.AddLocalPostgresServer(apiReplicas, fulfillmentReplicas);
    }

    // Resource names are unique across the model ("fulfillment" is the service): the database resources are
    // "<name>-db", and each service references its own under the contract's name (ConnectionStrings__<name>).
    private static IResourceBuilder<IResourceWithConnectionString> Existing(IDistributedApplicationBuilder builder, string name)
    {
        var connectionString = builder.AddParameter($"{name}-connection-string", builder.Configuration.GetConnectionString(name)!, secret: true);
        return builder.AddConnectionString($"{name}-db", ReferenceExpression.Create($"{connectionString}"));
    }

    private static int Replicas(IConfiguration config, string key) => ServiceVariables.Configured(config, key) switch
    {
        null => 1,
        var value when int.TryParse(value, out var count) && count >= 1 => count,
        var value => throw new DistributedApplicationException($"{key} must be a whole number ≥ 1, not '{value}'."),
    };

    /// <summary>The provider and the service's own database, set once; several replicas when asked for.</summary>
    public static IResourceBuilder<ProjectResource> WithDatabase(
        this IResourceBuilder<ProjectResource> service, ServiceDatabases databases,
        IResourceBuilder<IResourceWithConnectionString>? database, string connectionName, string sqlitePathVariable, string sqlitePath, int replicas)
    {
        if (database is null)
        {
            return service.WithEnvironment(sqlitePathVariable, sqlitePath);
        }

        service.WithEnvironment("DATABASE_PROVIDER", "postgres").WithReference(database, connectionName);
        if (databases.Server is not null)
        {
            // A container's database resources report their own health; the local server is healthy once both databases exist.
            service.WaitFor(databases.WaitForServer ? databases.Server : database);
        }

        return replicas > 1 ? service.WithReplicas(replicas) : service;
    }
}
