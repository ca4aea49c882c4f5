using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using System.Reflection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Puffin Offset service shares: OpenTelemetry, health endpoints, resilient HttpClients
/// and service discovery. Each service calls <see cref="AddServiceDefaults{TBuilder}"/> once.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Our own ActivitySource and Meter names all start with this prefix.</summary>
    public const string TelemetryPrefix = "PuffinOffset.";

    public const string ReadinessPath = "/health";
    public const string LivenessPath = "/alive";
    public const string LiveTag = "live";
    public const string MetricsPath = "/metrics";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddSecretFiles(); // first: everything after reads the secrets by their plain names
        builder.AddLoggingDefaults();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddManagementListener();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler(options =>
            {
                // Retrying a POST is the caller's decision: Wren has no idempotency key, so a
                // blind re-post could buy a second offset. Clients that may re-post say so themselves.
                options.Retry.DisableForUnsafeHttpMethods();
            });
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => DescribeService(resource, builder))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("MassTransit")
                .AddMeter(TelemetryPrefix + "*")
                // Prometheus pulls GET /metrics (deploy/prometheus/alerts.yml); OTLP still feeds the dashboard.
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("MassTransit")
                .AddSource(TelemetryPrefix + "*")
                .AddAspNetCoreInstrumentation(options =>
                    // Probes and scrapes would drown the traces an operator actually wants to read.
                    options.Filter = context =>
                        !context.Request.Path.StartsWithSegments(ReadinessPath)
                        && !context.Request.Path.StartsWithSegments(LivenessPath)
                        && !context.Request.Path.StartsWithSegments(MetricsPath))
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Names the service on every span, metric and log record: <c>OTEL_SERVICE_NAME</c>, else the service's own
    /// name in lower case (<c>api</c>, <c>fulfillment</c>), never the SDK's <c>unknown_service:dotnet</c>; its
    /// version; and an instance id (host and process) unless <c>OTEL_RESOURCE_ATTRIBUTES</c> gives one, as the
    /// AppHost does for each replica.
    /// </summary>
    private static void DescribeService(ResourceBuilder resource, IHostApplicationBuilder builder)
    {
        var name = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } configured
            ? configured
            : builder.Environment.ApplicationName.ToLowerInvariant();
        var version = System.Reflection.Assembly.GetEntryAssembly()?
            .GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var instanceGiven = (builder.Configuration["OTEL_RESOURCE_ATTRIBUTES"] ?? "").Contains("service.instance.id=", StringComparison.Ordinal);
        resource.AddService(name, serviceVersion: version, autoGenerateServiceInstanceId: false,
            serviceInstanceId: instanceGiven ? null : $"{Environment.MachineName}:{Environment.ProcessId}");
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddSingleton<IHealthCheckPublisher, ReadinessMetrics>();
        builder.Services.Configure<HealthCheckPublisherOptions>(options =>
        {
            // The first background run one period after start, not while the bus is still connecting: a check
            // that is merely starting would log a Degraded warning at every start of a healthy service.
            options.Delay = ReadinessMetrics.Period;
            options.Period = ReadinessMetrics.Period;
        });
        return builder;
    }

    /// <summary>
    /// <c>/metrics</c> serves Prometheus text (keep it off the public internet: it is for the scraper);
    /// <c>/health</c> runs every check (database, broker) and answers 503 unless all are healthy;
    /// <c>/alive</c> only says the process is responsive. Both exist in every environment because
    /// the orchestrator and the load balancer probe production too. With <c>MANAGEMENT_URLS</c> set, all three
    /// answer only there (<see cref="ManagementListener"/>).
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(ReadinessPath, new HealthCheckOptions
        {
            // Degraded means a dependency is not fully usable: do not send traffic.
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        }).DisableHttpMetrics().ServedOnManagementListener();

        app.MapHealthChecks(LivenessPath, new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
        }).DisableHttpMetrics().ServedOnManagementListener();

        app.MapPrometheusScrapingEndpoint(MetricsPath).DisableHttpMetrics().ServedOnManagementListener();
        return app;
    }
}
