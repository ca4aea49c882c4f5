using PuffinOffset.Platform.Configuration;
using MassTransit;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform;

namespace PuffinOffset.Messaging;

public static class MessagingServiceCollectionExtensions
{
    public const string ConnectionStringName = "messaging";
    private const string MassTransitBusCheckName = "masstransit-bus-replaced";

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
        var configuredUri = Uri.TryCreate(configuration.GetConnectionString(ConnectionStringName), UriKind.Absolute, out var parsed) ? parsed : null;
        // A missing URI is reported at startup together with every other invalid variable (ValidateOnStart),
        // before the bus starts, rather than as a stack trace from here.
        var queueType = configuration[BrokerOptions.QueueTypeVariable] is { Length: > 0 } type ? type.Trim().ToLowerInvariant() : BrokerOptions.Classic;
        services.AddOptions<BrokerOptions>()
            .Configure(options =>
            {
                options.Uri = configuredUri;
                options.QueueType = queueType;
            })
            .Validate(options => options.Uri is not null,
                "ConnectionStrings__messaging is required: the AMQP URI of RabbitMQ, e.g. amqp://guest:guest@localhost:5672/.")
            .Validate(options => options.QueueType is BrokerOptions.Classic or BrokerOptions.Quorum,
                $"{BrokerOptions.QueueTypeVariable} must be 'classic' (the default) or 'quorum'; '{configuration[BrokerOptions.QueueTypeVariable]}' is neither.")
            .ValidateOnStart();
        var brokerUri = configuredUri ?? new Uri("amqp://unconfigured/");

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<OutboxSignal>();
        services.AddSingleton<OutboxMetrics>();
        services.TryAddSingleton<GaugeRefreshes>();
        services.AddSingleton<IInterceptor, OutboxCommitInterceptor>();
        services.AddSingleton<OutboxClaims>();
        services.AddSingleton<IInterceptor>(provider => provider.GetRequiredService<OutboxClaims>());
        services.AddOptions<OutboxOptions>()
            .BindStrictly(OutboxOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<OutboxOptions>, OutboxOptionsValidator>();
        services.AddHostedService<OutboxDispatcher<TContext>>();
        // Registered before the bus, so it stops after it: the consumers still running at a stop get their commit.
        services.AddSingleton<GroupedInbox<TContext>>();
        services.AddHostedService(provider => provider.GetRequiredService<GroupedInbox<TContext>>());
        services.AddScoped<ParkedOutboxMessages<TContext>>();
        services.AddOptions<MessageRetentionOptions>()
            .BindStrictly(MessageRetentionOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<MessageRetentionService<TContext>>();
        services.AddHostedService(provider => provider.GetRequiredService<MessageRetentionService<TContext>>());
        services.AddOptions<BusStartupOptions>();
        services.AddSingleton<BusReadinessCheck>(); // one instance: it remembers that the bus was ready once
        services.AddHealthChecks()
            .Add(new HealthCheckRegistration(
                BrokerConnectivityCheck.Name, _ => new BrokerConnectivityCheck(brokerUri), HealthStatus.Unhealthy, tags: [], BrokerConnectivityCheck.Timeout))
            .Add(new HealthCheckRegistration(
                BusReadinessCheck.Name, provider => provider.GetRequiredService<BusReadinessCheck>(), HealthStatus.Unhealthy, tags: [], BusReadinessCheck.Timeout));
        // BusReadinessCheck replaces MassTransit's own bus check, which logs an Error while the bus starts.
        services.PostConfigure<HealthCheckServiceOptions>(options =>
        {
            foreach (var replaced in options.Registrations.Where(registration => registration.Name == MassTransitBusCheckName).ToList())
            {
                options.Registrations.Remove(replaced);
            }
        });

        var consumerQueues = new List<string>();
        services.AddMassTransit(bus =>
        {
            bus.ConfigureHealthCheckOptions(health => health.Name = MassTransitBusCheckName);
            bus.SetKebabCaseEndpointNameFormatter();
            configureConsumers(bus);
            consumerQueues.AddRange(ConsumerQueues(services));
            if (queueType == BrokerOptions.Quorum)
            {
                // Every receive endpoint (and so its queue) is declared as a quorum queue: replicated by a
                // RabbitMQ cluster, durable, never exclusive or auto-deleted.
                bus.AddConfigureEndpointsCallback((_, _, endpoint) =>
                {
                    if (endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
                    {
                        rabbit.SetQuorumQueue();
                    }
                });
            }

            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(brokerUri);
                rabbit.ConfigureEndpoints(context);
            });
        });
        services.AddSingleton<BusStopAfterStart.StartObserver>();
        services.AddBusObserver(provider => provider.GetRequiredService<BusStopAfterStart.StartObserver>());
        services.AddHostedService<BusStopAfterStart>(); // after MassTransit's hosted service, so it stops before it
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<ErrorQueueMonitor>(provider, brokerUri, (IReadOnlyList<string>)consumerQueues));
        services.AddHostedService(provider => provider.GetRequiredService<ErrorQueueMonitor>());
        return services;
    }

    /// <summary>The receive queue of every consumer registered so far, named as the kebab-case formatter names it.</summary>
    private static IEnumerable<string> ConsumerQueues(IServiceCollection services)
    {
        var name = typeof(KebabCaseEndpointNameFormatter).GetMethod(nameof(KebabCaseEndpointNameFormatter.Consumer))!;
        return services
            .Select(d => d.ServiceType)
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IConsumer).IsAssignableFrom(t))
            .Distinct()
            .Select(t => (string)name.MakeGenericMethod(t).Invoke(KebabCaseEndpointNameFormatter.Instance, null)!);
    }
}
