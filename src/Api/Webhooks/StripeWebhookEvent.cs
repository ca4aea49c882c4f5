using System.Text;

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
    /// The one parse of a verified body (<see cref="StripeEventJson"/>); null when it is not a Stripe event (not JSON, no
    /// <c>"object": "event"</c>, id or type). Stripe.net's event model is not built.
    /// </summary>
    public static StripeWebhookEvent? TryRead(ReadOnlySpan<byte> json) => StripeEventJson.TryRead(json);

    /// <inheritdoc cref="TryRead(ReadOnlySpan{byte})"/>
    public static StripeWebhookEvent? TryRead(string json) => StripeEventJson.TryRead(Encoding.UTF8.GetBytes(json));
}
