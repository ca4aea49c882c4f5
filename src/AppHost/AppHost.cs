using PuffinOffset.AppHost;
using PuffinOffset.AppHost.Messaging;

var builder = DistributedApplication.CreateBuilder(args);

// Every choice made once, before any resource: which broker, which databases and how many replicas,
// which Stripe and Wren (real or sandbox), and every variable's value.
var broker = builder.AddMessagingBroker();
var databases = builder.AddServiceDatabases();
var variables = ServiceVariables.From(builder);

var api = builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint()
    .WithReference(broker.ConnectionString).WaitFor(broker.Server)
    .WithDatabase(databases, databases.Orders, "orders", "DATABASE_PATH", variables.DatabasePath, databases.ApiReplicas)
    .WithHttpHealthCheck("/health")
    .WithReplayFailedFulfilmentsCommand(variables.AdminApiKey);

var fulfillment = builder.AddProject<Projects.Fulfillment>("fulfillment")
    .WithHttpEndpoint()
    .WithReference(broker.ConnectionString).WaitFor(broker.Server)
    .WithDatabase(databases, databases.Fulfillment, "fulfillment", "FULFILLMENT_DATABASE_PATH", variables.FulfillmentDatabasePath, databases.FulfillmentReplicas)
    .WithHttpHealthCheck("/health");

// Stripe and Wren, or their local sandboxes when no keys are configured (run mode only).
var sandboxes = builder.AddSandboxes(variables, api);
api.WithApiVariables(variables, sandboxes);
fulfillment.WithFulfillmentVariables(variables, sandboxes)
    .WithRefundCheckOf(api, builder);

builder.Build().Run();
