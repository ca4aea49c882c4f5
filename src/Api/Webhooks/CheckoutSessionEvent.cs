using System.Text.Json;

namespace PuffinOffset.Api.Webhooks;

/// <summary>The fields of a <c>checkout.session.*</c> event (any other type reads as one with no session).</summary>
public sealed record CheckoutSessionEvent(
    string EventId,
    string Type,
    string? ApiVersion,
    string? SessionId,
    string? PaymentStatus,
    string? MetadataOrderId,
    string? PaymentIntentId,
    string? CustomerEmail,
    bool LiveMode = false) : StripeWebhookEvent(EventId, Type, ApiVersion)
{
    /// <param name="eventLiveMode">The event's own <c>livemode</c>; the session's counts too.</param>
    internal static CheckoutSessionEvent Read(string eventId, string type, string? apiVersion, JsonElement dataObject, bool eventLiveMode)
    {
        var session = dataObject;
        if (session.ValueKind != JsonValueKind.Object)
        {
            return new(eventId, type, apiVersion, null, null, null, null, null, eventLiveMode);
        }

        var metadata = Object(session, "metadata");
        var customer = Object(session, "customer_details");
        return new(eventId, type, apiVersion,
            String(session, "id"),
            String(session, "payment_status"),
            metadata.ValueKind == JsonValueKind.Object ? String(metadata, "orderId") : null,
            Id(session, "payment_intent"),
            customer.ValueKind == JsonValueKind.Object ? String(customer, "email") : null,
            eventLiveMode || True(session, "livemode"));
    }
}
