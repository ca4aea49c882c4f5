using System.Text.Json;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// The fields of a <c>charge.refunded</c> (a Charge) or <c>charge.dispute.*</c> (a Dispute) event. The order is
/// found by the payment intent, which the Api keeps from the Checkout session; a dispute names it itself, or
/// through its charge when the endpoint expands that.
/// </summary>
public sealed record ChargeEvent(
    string EventId,
    string Type,
    string? ApiVersion,
    string? ObjectId,
    string? PaymentIntentId,
    long Amount,
    long AmountRefunded,
    bool Refunded,
    string? DisputeStatus,
    string? DisputeReason) : StripeWebhookEvent(EventId, Type, ApiVersion)
{
    public const string ChargeRefunded = "charge.refunded";
    public const string DisputeCreated = "charge.dispute.created";
    public const string DisputeClosed = "charge.dispute.closed";

    /// <summary>Stripe sets <c>refunded</c> once the whole amount is back; the amounts say the same.</summary>
    public bool IsFullRefund => Refunded || (Amount > 0 && AmountRefunded >= Amount);

    public static new ChargeEvent Read(string eventId, string type, string? apiVersion, string json)
    {
        using var document = JsonDocument.Parse(json);
        var obj = DataObject(document);
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
}
