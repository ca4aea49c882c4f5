using System.Text.Json;
using PuffinOffset.Api.Webhooks;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>
/// The Api's former event parse (one <see cref="JsonDocument"/> per body), kept as the oracle the streaming
/// <see cref="StripeWebhookEvent.TryRead(ReadOnlySpan{byte})"/> is compared with.
/// </summary>
internal static class JsonDocumentEventReader
{
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
                ? Charge(eventId, type, apiVersion, obj)
                : CheckoutSession(eventId, type, apiVersion, obj, True(root, "livemode"));
        }
    }

    private static CheckoutSessionEvent CheckoutSession(string eventId, string type, string? apiVersion, JsonElement session, bool eventLiveMode)
    {
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

    private static ChargeEvent Charge(string eventId, string type, string? apiVersion, JsonElement obj)
    {
        if (obj.ValueKind != JsonValueKind.Object)
        {
            return new(eventId, type, apiVersion, null, null, 0, 0, false, null, null);
        }

        var isDispute = String(obj, "object") == "dispute";
        var charge = Object(obj, "charge");
        var paymentIntent = Id(obj, "payment_intent")
            ?? (charge.ValueKind == JsonValueKind.Object ? Id(charge, "payment_intent") : null);
        return new(eventId, type, apiVersion,
            String(obj, "id"),
            paymentIntent,
            Long(obj, "amount"),
            isDispute ? 0 : Long(obj, "amount_refunded"),
            !isDispute && obj.TryGetProperty("refunded", out var refunded) && refunded.ValueKind == JsonValueKind.True,
            isDispute ? String(obj, "status") : null,
            isDispute ? String(obj, "reason") : null);
    }

    private static long Long(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool True(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    private static string? Id(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? String(value, "id") : String(element, name);

    private static JsonElement Object(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : default;
}
