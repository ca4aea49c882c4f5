using System.Text.Json;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// The few fields of a verified event we act on, read from the raw JSON so that an endpoint set to
/// another API version than Stripe.net pins still works (Stripe adds and renames fields between versions).
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
    public static CheckoutSessionEvent Read(string eventId, string type, string? apiVersion, string json)
    {
        using var document = JsonDocument.Parse(json);
        var session = document.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("object", out var obj)
            && obj.ValueKind == JsonValueKind.Object ? obj : default;
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

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
