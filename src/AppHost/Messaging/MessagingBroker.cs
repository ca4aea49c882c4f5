using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.AppHost.Messaging;

/// <summary>
/// The RabbitMQ the services use: <see cref="ConnectionString"/> is what they reference (it becomes
/// their <c>ConnectionStrings__messaging</c>); <see cref="Server"/> is what they wait for.
/// </summary>
internal sealed record MessagingBroker(
    IResourceBuilder<IResourceWithConnectionString> ConnectionString,
    IResourceBuilder<IResource> Server,
    string Description);

internal static class MessagingBrokerExtensions
{
    public const string Name = "messaging";

    /// <summary>Config key that forces a choice: <c>auto</c> (default), <c>container</c> or <c>local</c>.</summary>
    public const string ChoiceKey = "MessagingBroker";

    /// <summary>
    /// Picks, in this order: an explicit <c>ConnectionStrings:messaging</c> (an existing broker); a RabbitMQ
    /// container when publishing or when a container engine answers; else a local rabbitmq-server run by this AppHost.
    /// </summary>
    public static MessagingBroker AddMessagingBroker(this IDistributedApplicationBuilder builder)
    {
        var broker = Choose(builder);
        builder.Eventing.Subscribe<BeforeStartEvent>((startEvent, _) =>
        {
            startEvent.Services.GetRequiredService<ILoggerFactory>()
                .CreateLogger("PuffinOffset.AppHost")
                .BrokerChosen(broker.Description);
            return Task.CompletedTask;
        });
        return broker;
    }

    private static MessagingBroker Choose(IDistributedApplicationBuilder builder)
    {
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(Name)))
        {
            var existing = builder.AddConnectionString(Name);
            return new(existing, existing, "the existing broker in ConnectionStrings:messaging");
        }

        // A published manifest always models the broker as a container with a generated password: the local
        // rabbitmq-server is this machine's script, paths and ports, nothing a deployment tool can deploy.
        var choice = builder.Configuration[ChoiceKey]?.Trim().ToLowerInvariant() ?? "auto";
        if (choice == "container" || builder.ExecutionContext.IsPublishMode || (choice == "auto" && ContainerEngine.Answers(builder.Configuration)))
        {
            var container = builder.AddRabbitMQ(Name).WithManagementPlugin();
            return new(container, container, $"a RabbitMQ container ({ContainerEngine.Runtime(builder.Configuration)})");
        }

        return builder.AddLocalRabbitMqServer(Name);
    }
}
