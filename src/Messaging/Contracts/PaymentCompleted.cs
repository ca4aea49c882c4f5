namespace PuffinOffset.Messaging.Contracts;

/// <summary>Api → Fulfillment: Stripe confirmed the payment of an order; buy its offset.</summary>
public sealed record PaymentCompleted(
    Guid OrderId,
    string CheckoutSessionId,
    string? PaymentIntentId,
    decimal Tons,
    int PortfolioId,
    long AmountTotal,
    string Currency,
    string? CustomerEmail,
    DateTimeOffset PaidAt);
