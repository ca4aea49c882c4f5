namespace PuffinOffset.Api.Configuration;

/// <summary>The jobs that heal orders a lost message left behind (<c>PAID_ORDER_RESEND_AFTER</c>, <c>STRIPE_RECONCILE_*</c>).</summary>
public sealed class OrderRecoveryOptions
{
    /// <summary>How long a paid order may wait for Fulfillment's outcome before its PaymentCompleted is sent again; then doubling.</summary>
    public TimeSpan PaidOrderResendAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The longest wait between two resends of one order's PaymentCompleted.</summary>
    public static readonly TimeSpan MaxResendDelay = TimeSpan.FromHours(6);

    /// <summary>How often Stripe is asked about orders whose webhook may have been lost.</summary>
    public TimeSpan StripeReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How old a pending or awaiting-payment order must be before Stripe is asked about it.</summary>
    public TimeSpan StripeReconcileAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Sessions asked about per run: Stripe allows about 100 reads a second, shared with checkout.</summary>
    public int StripeReconcileBatchSize { get; set; } = 25;
}
