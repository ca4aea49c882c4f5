using MassTransit;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging;

public static class MessagingServiceCollectionExtensions
{
    public const string ConnectionStringName = "messaging";

    /// <summary>
    /// MassTransit on RabbitMQ (<c>ConnectionStrings:messaging</c>, an AMQP URI) plus the transactional
    /// outbox of <typeparamref name="TContext"/>. Consumers are registered by <paramref name="configureConsumers"/>
    /// and own their endpoint policy in their ConsumerDefinition.
    /// </summary>
    public static IServiceCollection AddMessaging<TContext>(
        this IServiceCollection services,
        IConfiguration configuration,
        Action<IBusRegistrationConfigurator> configureConsumers)
        where TContext : MessagingDbContext
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString) || !Uri.TryCreate(connectionString, UriKind.Absolute, out var brokerUri))
        {
            throw new InvalidOperationException(
                "ConnectionStrings__messaging is required: the AMQP URI of RabbitMQ, e.g. amqp://guest:guest@localhost:5672/.");
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxMetrics>();
        services.AddSingleton<IInterceptor, OutboxCommitInterceptor>();
        services.AddOptions<OutboxOptions>()
            .BindConfiguration(OutboxOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHostedService<OutboxDispatcher<TContext>>();
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            BrokerConnectivityCheck.Name, _ => new BrokerConnectivityCheck(brokerUri), HealthStatus.Unhealthy, tags: [], BrokerConnectivityCheck.Timeout));

        services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            configureConsumers(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(brokerUri);
                rabbit.ConfigureEndpoints(context);
            });
        });
        return services;
    }
}
