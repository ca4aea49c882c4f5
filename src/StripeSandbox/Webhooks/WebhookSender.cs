using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using PuffinOffset.StripeSandbox.Configuration;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>
/// Delivers queued events like Stripe: POSTs the event's bytes with a <c>Stripe-Signature</c> computed at
/// send time (so a retry carries a new <c>t</c> but the same event id), treats any non-2xx answer or
/// connection failure as a failure, and retries with exponential backoff up to a bounded number of attempts.
/// </summary>
public sealed partial class WebhookSender(
    WebhookQueue queue,
    EventLog log,
    IHttpClientFactory httpClientFactory,
    IOptions<StripeSandboxOptions> options,
    TimeProvider time,
    ILogger<WebhookSender> logger) : BackgroundService
{
    public const string HttpClientName = "stripe-sandbox-webhooks";

    private static readonly ActivitySource Activities = new("PuffinOffset.StripeSandbox");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var delivery in queue.Reader.ReadAllAsync(stoppingToken))
            {
                await DeliverAsync(delivery, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: undelivered events die with the sandbox, as its sessions do.
        }
    }

    private async Task DeliverAsync(WebhookDelivery delivery, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var stripeEvent = delivery.Event;
        if (settings.WebhookUrl is not { } url || settings.WebhookSecret is not { } secret)
        {
            LogNoEndpoint(logger, stripeEvent.Type, stripeEvent.Id);
            return;
        }

        // Continues the trace of the click that raised the event, so one trace runs from checkout to Wren.
        using var activity = Activities.StartActivity($"webhook {stripeEvent.Type}", ActivityKind.Producer, stripeEvent.Cause);
        activity?.SetTag("stripe.event_id", stripeEvent.Id);
        activity?.SetTag("stripe.delivery_attempt", delivery.Attempt);

        int? status = null;
        string? error = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(stripeEvent.Json, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigner.Header(stripeEvent.Json, time.GetUtcNow(), secret));
            request.Headers.TryAddWithoutValidation("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
            using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, stoppingToken);
            status = (int)response.StatusCode;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Whatever went wrong (refused, reset, timed out, a resilience handler's rejection), Stripe would retry.
            error = ex switch
            {
                HttpRequestException http => http.Message,
                OperationCanceledException or TimeoutException => "timed out",
                _ => ex.GetType().Name,
            };
        }

        var attempt = new WebhookAttempt(stripeEvent.Id, stripeEvent.Type, delivery.Copy, delivery.Attempt, status, error, time.GetUtcNow());
        log.Add(attempt);
        if (attempt.Succeeded)
        {
            LogDelivered(logger, stripeEvent.Type, stripeEvent.Id, url, status!.Value, delivery.Attempt, delivery.Copy);
            return;
        }

        activity?.SetStatus(ActivityStatusCode.Error);
        if (delivery.Attempt >= settings.WebhookMaxAttempts)
        {
            LogGaveUp(logger, stripeEvent.Type, stripeEvent.Id, url, status?.ToString() ?? error ?? "no answer", delivery.Attempt);
            return;
        }

        var delay = RetryDelay(delivery.Attempt, settings);
        LogWillRetry(logger, stripeEvent.Type, stripeEvent.Id, url, status?.ToString() ?? error ?? "no answer", delivery.Attempt, delay);
        _ = RetryLaterAsync(delivery, delay, stoppingToken);
    }

    /// <summary>The wait after failed attempt <paramref name="attempt"/>: doubling from the configured delay, capped.</summary>
    public static TimeSpan RetryDelay(int attempt, StripeSandboxOptions settings)
    {
        var delay = settings.WebhookRetryDelay * Math.Pow(2, Math.Min(attempt - 1, 20));
        return delay < settings.WebhookMaxRetryDelay ? delay : settings.WebhookMaxRetryDelay;
    }

    // Waits off the delivery loop, so one failing event does not hold back the others.
    private async Task RetryLaterAsync(WebhookDelivery delivery, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
            queue.Retry(delivery);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {EventType} {EventId} delivered to {Url}: {StatusCode} (attempt {Attempt}, copy {Copy})")]
    private static partial void LogDelivered(ILogger logger, string eventType, string eventId, Uri url, int statusCode, int attempt, int copy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {EventType} {EventId} to {Url} failed: {Outcome} (attempt {Attempt}); retrying in {Delay}")]
    private static partial void LogWillRetry(ILogger logger, string eventType, string eventId, Uri url, string outcome, int attempt, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {EventType} {EventId} to {Url} failed: {Outcome} (attempt {Attempt}); giving up")]
    private static partial void LogGaveUp(ILogger logger, string eventType, string eventId, Uri url, string outcome, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {EventType} {EventId} not delivered: STRIPE_SANDBOX_WEBHOOK_URL is not set")]
    private static partial void LogNoEndpoint(ILogger logger, string eventType, string eventId);
}
