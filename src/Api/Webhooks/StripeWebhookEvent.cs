using System.Text.Json;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// A verified event reduced to the few fields we act on, read from the raw JSON so that an endpoint set to
/// another API version than Stripe.net pins still works (Stripe adds and renames fields between versions).
/// </summary>
public abstract record StripeWebhookEvent(string EventId, string Type, string? ApiVersion)
{
    /// <summary>The types the Api acts on (docs/stripe-webhooks.md lists them for the endpoint's settings).</summary>
    public static readonly IReadOnlyList<string> HandledTypes =
    [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        ChargeEvent.ChargeRefunded,
        ChargeEvent.DisputeCreated,
        ChargeEvent.DisputeClosed,
    ];

    /// <summary>
    /// The one parse of a verified body; null when it is not a Stripe event (not JSON, no
    /// <c>"object": "event"</c>, id or type). Stripe.net's event model is not built.
    /// </summary>
    public static StripeWebhookEvent? TryRead(string json)
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
            var data = Object(root, "data");
            var obj = data.ValueKind == JsonValueKind.Object ? Object(data, "object") : default;
            return type.StartsWith("charge.", StringComparison.Ordinal)
                ? ChargeEvent.Read(eventId, type, apiVersion, obj)
                : CheckoutSessionEvent.Read(eventId, type, apiVersion, obj, True(root, "livemode"));
        }
    }

    protected static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    protected static bool True(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>A reference to another Stripe object: its id, or the object itself when the endpoint expands it.</summary>
    protected static string? Id(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? String(value, "id") : String(element, name);

    protected static JsonElement Object(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;
}
