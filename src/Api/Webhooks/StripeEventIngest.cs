using PuffinOffset.Api.Observability;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// The front door of a verified Stripe event, for the webhook and the reconciler alike: a redelivery of an event
/// this process just committed is answered from <see cref="RecentStripeEvents"/> without a write; every other
/// event is handed to <see cref="StripeEventWriter"/>, and its outcome is known once it is durably recorded (or was already).
/// </summary>
public sealed partial class StripeEventIngest(
    StripeEventWriter writer,
    RecentStripeEvents recent,
    ApiMetrics metrics,
    ILogger<StripeEventIngest> logger)
{
    /// <param name="fromWebhook">False for reconciliation's events, read from Stripe's API: not counted as webhook deliveries.</param>
    public async Task<string> ProcessAsync(StripeWebhookEvent stripeEvent, bool fromWebhook = true)
    {
        var outcome = recent.Contains(stripeEvent.EventId) ? WebhookOutcome.Duplicate : await writer.WriteAsync(stripeEvent);
        if (fromWebhook)
        {
            metrics.WebhookEvent(stripeEvent.Type, outcome);
        }

        if (outcome == WebhookOutcome.Duplicate)
        {
            LogDuplicate(logger, stripeEvent.EventId, stripeEvent.Type);
        }

        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({EventType}) was already handled; nothing done")]
    private static partial void LogDuplicate(ILogger logger, string eventId, string eventType);
}
