using System.Threading.Channels;
using Microsoft.Extensions.Options;
using PuffinOffset.StripeSandbox.Configuration;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>One delivery of an event: which copy (2 when delivering twice) and which attempt.</summary>
public sealed record WebhookDelivery(StripeEvent Event, int Copy, int Attempt);

/// <summary>Raises events: records them and queues their delivery for <see cref="WebhookSender"/>.</summary>
public sealed partial class WebhookQueue(EventLog log, IOptions<StripeSandboxOptions> options, TimeProvider time, ILogger<WebhookQueue> logger)
{
    private readonly Channel<WebhookDelivery> _channel = Channel.CreateUnbounded<WebhookDelivery>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<WebhookDelivery> Reader => _channel.Reader;

    public StripeEvent RaiseCheckoutSessionEvent(string type, IReadOnlyDictionary<string, object?> session) =>
        Raise(StripeEvent.ForCheckoutSession(type, session, time.GetUtcNow(), EndpointConfigured));

    /// <summary>An event about a charge or dispute of the payment taken by Checkout session <paramref name="sessionId"/>.</summary>
    public StripeEvent RaisePaymentEvent(string type, IReadOnlyDictionary<string, object?> obj, string sessionId,
        IReadOnlyDictionary<string, object?>? previousAttributes, string? requestId) =>
        Raise(StripeEvent.For(type, obj, sessionId, time.GetUtcNow(), EndpointConfigured, previousAttributes, requestId));

    // Switched off, the endpoint is as if disabled: its events wait undelivered, as Stripe's would.
    private bool EndpointConfigured => options.Value.WebhookUrl is not null || !options.Value.DeliverWebhooks;

    private StripeEvent Raise(StripeEvent stripeEvent)
    {
        log.Add(stripeEvent);
        // As a disabled endpoint: the event exists (the API and the log show it) but is never sent, not even later.
        if (!options.Value.DeliverWebhooks)
        {
            LogDeliveryOff(logger, stripeEvent.Type, stripeEvent.Id);
            return stripeEvent;
        }

        var copies = options.Value.DeliverTwice ? 2 : 1;
        for (var copy = 1; copy <= copies; copy++)
        {
            _channel.Writer.TryWrite(new WebhookDelivery(stripeEvent, copy, Attempt: 1));
        }

        return stripeEvent;
    }

    public void Retry(WebhookDelivery delivery) => _channel.Writer.TryWrite(delivery with { Attempt = delivery.Attempt + 1 });

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventType} {EventId} not delivered: STRIPE_SANDBOX_WEBHOOKS=off")]
    private static partial void LogDeliveryOff(ILogger logger, string eventType, string eventId);
}
