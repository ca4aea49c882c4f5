using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;

namespace PuffinOffset.Fulfillment.Refunds;

public static partial class RefundCheckRegistration
{
    public static IServiceCollection AddRefundCheck(this IServiceCollection services)
    {
        services.AddOptions<ApiRefundCheckOptions>()
            .Configure<IConfiguration>((options, configuration) => options.Load(configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiRefundCheckOptions>, ApiRefundCheckOptions.Validator>();
#pragma warning disable EXTEXP0001 // Evaluation API, but the supported way to replace one client's ConfigureHttpClientDefaults pipeline.
        // The ServiceDefaults pipeline without retries or a circuit breaker: a failed question goes to the next Api
        // instance (one breaker for the client would shut the healthy instance out with the failed one), then waits for
        // the fulfilment's own backoff. Each question's timeout is set per request (Fulfillment:RefundCheckTimeout).
        services.AddHttpClient<ApiRefundClient>(ApiRefundClient.HttpClientName)
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(options =>
            {
                options.Retry.ShouldHandle = _ => ValueTask.FromResult(false);
                options.CircuitBreaker.ShouldHandle = _ => ValueTask.FromResult(false);
            });
#pragma warning restore EXTEXP0001
        services.AddSingleton<RefundCheck>();
        services.AddHostedService<NoRefundCheckWarning>();
        return services;
    }

    /// <summary>Running without the check in Production (on SQLite; PostgreSQL refuses to start) is said once, at startup.</summary>
    private sealed partial class NoRefundCheckWarning(IOptions<ApiRefundCheckOptions> options, IHostEnvironment environment,
        ILogger<NoRefundCheckWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (!options.Value.Enabled && environment.IsProduction())
            {
                LogNoCheck();
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "API_INTERNAL_URLS is not set: delayed purchases are not confirmed with the Api, so a full refund held up on its way (broker down) cannot stop one. Set API_INTERNAL_URLS and API_SERVICE_KEY.")]
        private partial void LogNoCheck();
    }
}
