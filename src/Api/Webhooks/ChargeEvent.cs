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
}
