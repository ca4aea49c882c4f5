using System.Text.Json;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// A verified event reduced to the few fields we act on, read from the raw JSON so that an endpoint set to
/// another API version than Stripe.net pins still works (Stripe adds and renames fields between versions).
/// </summary>
public abstract record StripeWebhookEvent(string EventId, string Type, string? ApiVersion)
{
    public static StripeWebhookEvent Read(string eventId, string type, string? apiVersion, string json) =>
        type.StartsWith("charge.", StringComparison.Ordinal)
            ? ChargeEvent.Read(eventId, type, apiVersion, json)
            : CheckoutSessionEvent.Read(eventId, type, apiVersion, json);

    /// <summary><c>data.object</c>, or an undefined element when the event has none.</summary>
    protected static JsonElement DataObject(JsonDocument document) =>
        document.RootElement.TryGetProperty("data", out var data) && data.TryGetProperty("object", out var obj)
        && obj.ValueKind == JsonValueKind.Object ? obj : default;

    protected static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A reference to another Stripe object: its id, or the object itself when the endpoint expands it.</summary>
    protected static string? Id(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? String(value, "id") : String(element, name);

    protected static JsonElement Object(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;
}
