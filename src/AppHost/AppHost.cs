using PuffinOffset.AppHost;
using PuffinOffset.AppHost.Messaging;

var builder = DistributedApplication.CreateBuilder(args);

// An existing broker, a RabbitMQ container, or a rabbitmq-server this AppHost runs itself.
var broker = builder.AddMessagingBroker();
var variables = ServiceVariables.From(builder);

var api = builder.AddProject<Projects.Api>("api")
    .WithHttpEndpoint()
    .WithReference(broker.ConnectionString).WaitFor(broker.Server)
    .WithApiVariables(variables)
    .WithHttpHealthCheck("/health")
    .WithReplayFailedFulfilmentsCommand(variables.AdminApiKey);

var fulfillment = builder.AddProject<Projects.Fulfillment>("fulfillment")
    .WithHttpEndpoint()
    .WithReference(broker.ConnectionString).WaitFor(broker.Server)
    .WithFulfillmentVariables(variables)
    .WithHttpHealthCheck("/health");

// Stripe and Wren, or their local sandboxes when no keys are configured (see ExternalServices).
builder.AddStripeAndWren(variables, api, fulfillment);

builder.Build().Run();
