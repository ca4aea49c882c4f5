using System.Text.Json;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// The few fields of a verified event we act on, read once from the raw JSON (no Stripe.net event model), so
/// that an endpoint set to another API version than Stripe.net pins still works (Stripe adds and renames
/// fields between versions).
/// </summary>
public sealed record CheckoutSessionEvent(
    string EventId,
    string Type,
    string? ApiVersion,
    string? SessionId,
    string? PaymentStatus,
    string? MetadataOrderId,
    string? PaymentIntentId,
    string? CustomerEmail)
{
    /// <summary>The event, or null when the JSON is not a Stripe event (no <c>"object": "event"</c>, id or type).</summary>
    public static CheckoutSessionEvent? TryRead(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "object") != "event"
                || String(root, "id") is not { Length: > 0 } eventId || String(root, "type") is not { Length: > 0 } type)
            {
                return null;
            }

            var apiVersion = String(root, "api_version");
            var session = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                && data.TryGetProperty("object", out var obj) && obj.ValueKind == JsonValueKind.Object ? obj : default;
            if (session.ValueKind != JsonValueKind.Object)
            {
                return new(eventId, type, apiVersion, null, null, null, null, null);
            }

            return new(eventId, type, apiVersion,
                String(session, "id"),
                String(session, "payment_status"),
                session.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object ? String(metadata, "orderId") : null,
                // A string id, or the object itself when the endpoint expands it.
                session.TryGetProperty("payment_intent", out var intent) && intent.ValueKind == JsonValueKind.Object ? String(intent, "id") : String(session, "payment_intent"),
                session.TryGetProperty("customer_details", out var customer) && customer.ValueKind == JsonValueKind.Object ? String(customer, "email") : null);
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
