namespace PuffinOffset.AppHost.Tests;

/// <summary>DATABASE_PROVIDER and the replica counts, as the AppHost models them (nothing starts).</summary>
public sealed class DatabaseChoiceTests
{
    private const string ExistingBroker = "ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:5672/";

    [Fact]
    public async Task With_existing_PostgreSQL_databases_each_service_references_its_own_and_runs_the_replicas_asked_for()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            ExistingBroker,
            "DATABASE_PROVIDER=postgres",
            "ConnectionStrings:orders=Host=127.0.0.1;Database=orders",
            "ConnectionStrings:fulfillment=Host=127.0.0.1;Database=fulfillment",
            "ApiReplicas=2",
            "FulfillmentReplicas=3",
        ]);

        Assert.Equal(["fulfillment-db", "messaging", "orders-db"],
            builder.Resources.OfType<IResourceWithConnectionString>().Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Equal(2, Replicas(builder, "api"));
        Assert.Equal(3, Replicas(builder, "fulfillment"));
        Assert.DoesNotContain(builder.Resources, r => r.Name == "postgres");
    }

    [Fact]
    public async Task Without_connection_strings_the_local_postgres_is_the_apphosts_own_executable_that_both_services_wait_for()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
        [
            ExistingBroker,
            "DATABASE_PROVIDER=postgres",
            "PostgresServer=local",
            "FulfillmentReplicas=2",
        ]);

        var server = Assert.IsType<ExecutableResource>(builder.Resources.Single(r => r.Name == "postgres"), exactMatch: false);
        Assert.EndsWith("postgres-local.sh", server.Command, StringComparison.Ordinal);
        Assert.Equal(["fulfillment-db", "messaging", "orders-db"],
            builder.Resources.OfType<IResourceWithConnectionString>().Select(r => r.Name).Order(StringComparer.Ordinal));
        foreach (var service in new[] { "api", "fulfillment" })
        {
            Assert.Contains(builder.Resources.Single(r => r.Name == service).Annotations.OfType<WaitAnnotation>(), wait => wait.Resource == server);
        }

        Assert.Equal(2, Replicas(builder, "fulfillment"));
    }

    [Fact]
    public async Task An_unknown_PostgresServer_choice_is_refused_naming_the_setting()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [ExistingBroker, "DATABASE_PROVIDER=postgres", "PostgresServer=docker"]));

        Assert.Contains("PostgresServer must be auto, container or local", error.GetBaseException().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task By_default_each_service_runs_once_on_its_SQLite_file()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([ExistingBroker]);

        Assert.Equal(["messaging"], builder.Resources.OfType<IResourceWithConnectionString>().Select(r => r.Name));
        Assert.Equal(1, Replicas(builder, "api"));
        Assert.Equal(1, Replicas(builder, "fulfillment"));
    }

    [Theory]
    [InlineData("ApiReplicas=2")]
    [InlineData("FulfillmentReplicas=2")]
    public async Task Replicas_on_SQLite_are_refused_naming_the_provider(string replicas)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([ExistingBroker, replicas]));

        Assert.Contains("need DATABASE_PROVIDER=postgres", error.GetBaseException().Message, StringComparison.Ordinal);
    }

    private static int Replicas(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.Single(r => r.Name == name).Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;
}
