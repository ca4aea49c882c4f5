namespace PuffinOffset.Api.Webhooks;

/// <summary>A verified Stripe event we have handled; unique on the event id so a redelivery does nothing.</summary>
public sealed class StripeEventRecord
{
    public string EventId { get; init; } = "";
    public string Type { get; init; } = "";
    public string? ApiVersion { get; init; }
    public Guid? OrderId { get; init; }

    /// <summary>The payment a charge or dispute event is about, kept so that one arriving before its order is known is not lost.</summary>
    public string? PaymentIntentId { get; init; }

    /// <summary>
    /// For <c>charge.refunded</c>: the cents refunded so far and whether that is all of it. A full refund that
    /// arrives before its Checkout event must still end the order once the Checkout event names the payment.
    /// </summary>
    public long? AmountRefunded { get; init; }

    public bool FullRefund { get; init; }

    /// <summary>What handling it did: applied, attention, refused_transition, unknown_order or ignored.</summary>
    public string Outcome { get; init; } = "";
    public DateTimeOffset ReceivedAt { get; init; }
}
