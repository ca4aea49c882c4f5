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
    bool LiveMode = false) : StripeWebhookEvent(EventId, Type, ApiVersion);
