using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Api.Orders;

/// <summary>One purchase of offsets: created before the Stripe session, then moved by webhooks and Fulfillment.</summary>
public sealed class Order
{
    public const string Currency = "usd";

    public Guid Id { get; private set; }
    public string? CheckoutSessionId { get; private set; }
    public string? CheckoutUrl { get; private set; }
    public OrderStatus Status { get; private set; }
    public decimal Tons { get; private set; }
    public int PortfolioId { get; private set; }
    public long AmountTotal { get; private set; }
    public string? CustomerEmail { get; private set; }
    public string? PaymentIntentId { get; private set; }
    public string? WrenOrderId { get; private set; }
    public bool? DryRun { get; private set; }
    public string? IdempotencyKey { get; private set; }
    public string? RequestHash { get; private set; }
    /// <summary>Cents Stripe refunded so far (0 when none).</summary>
    public long AmountRefunded { get; private set; }
    /// <summary>True while a dispute (chargeback) on the payment is open.</summary>
    public bool Disputed { get; private set; }
    /// <summary>Null, or a sentence for an operator when money and offset disagree; cleared by an operator's resolve.</summary>
    public string? Attention { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    /// <summary>When the order became paid; the <see cref="PaymentCompleted"/> it sends carries it on every resend.</summary>
    public DateTimeOffset? PaidAt { get; private set; }
    /// <summary>How often <see cref="PaymentCompleted"/> was published again because no outcome came back.</summary>
    public int PaymentCompletedResends { get; private set; }
    /// <summary>When the next resend is due; null until the first (which is due at paid + the resend delay).</summary>
    public DateTimeOffset? NextPaymentCompletedResendAt { get; private set; }
    /// <summary>When reconciliation last asked Stripe about this order's session; it asks the least recently asked first.</summary>
    public DateTimeOffset? StripeCheckedAt { get; private set; }

    private Order() { }

    public static Order Create(Guid id, decimal tons, int portfolioId, long amountTotal, string? customerEmail,
        string? idempotencyKey, string? requestHash, DateTimeOffset now) => new()
    {
        Id = id,
        Status = OrderStatus.Pending,
        Tons = tons,
        PortfolioId = portfolioId,
        AmountTotal = amountTotal,
        CustomerEmail = customerEmail,
        IdempotencyKey = idempotencyKey,
        RequestHash = requestHash,
        CreatedAt = now,
        UpdatedAt = now,
    };

    public void AttachCheckoutSession(string sessionId, string? url, DateTimeOffset now)
    {
        CheckoutSessionId = sessionId;
        CheckoutUrl = url;
        UpdatedAt = now;
    }

    /// <summary>Applies <paramref name="to"/> if <see cref="OrderStateMachine"/> allows it; false leaves the order unchanged.</summary>
    public bool TryMoveTo(OrderStatus to, DateTimeOffset now)
    {
        if (!OrderStateMachine.CanMove(Status, to))
        {
            return false;
        }

        Status = to;
        UpdatedAt = now;
        return true;
    }

    public bool TryMarkPaid(string? paymentIntentId, string? customerEmail, DateTimeOffset now)
    {
        if (!TryMoveTo(OrderStatus.Paid, now))
        {
            return false;
        }

        PaymentIntentId = paymentIntentId ?? PaymentIntentId;
        CustomerEmail ??= customerEmail;
        PaidAt = now;
        return true;
    }

    /// <summary>
    /// What Fulfillment needs to buy this order's offset; built here only, so the first send and every
    /// resend carry the same facts (Fulfillment builds its outcome the same way).
    /// </summary>
    public PaymentCompleted ToPaymentCompleted() => new(Id, CheckoutSessionId ?? "", PaymentIntentId, Tons, PortfolioId,
        AmountTotal, Currency, CustomerEmail, PaidAt ?? UpdatedAt);

    /// <summary>Counts one more resend of <see cref="PaymentCompleted"/> and when the next is due.</summary>
    public void RecordPaymentCompletedResent(DateTimeOffset nextResendAt)
    {
        PaymentCompletedResends++;
        NextPaymentCompletedResendAt = nextResendAt;
    }

    public void RecordStripeChecked(DateTimeOffset now) => StripeCheckedAt = now;

    public bool TryMarkFulfilled(string? wrenOrderId, bool dryRun, DateTimeOffset now)
    {
        if (!TryMoveTo(OrderStatus.Fulfilled, now))
        {
            return false;
        }

        WrenOrderId = wrenOrderId;
        DryRun = dryRun;
        return true;
    }

    /// <summary>
    /// Asks an operator to look at this order. A second reason is appended rather than replacing the first,
    /// so nothing an operator must see is overwritten before they have seen it.
    /// </summary>
    public void RequireAttention(string reason, DateTimeOffset now)
    {
        if (Attention is not null && Attention.Contains(reason, StringComparison.Ordinal))
        {
            return;
        }

        Attention = Attention is null ? reason : $"{Attention}; {reason}";
        UpdatedAt = now;
    }

    /// <summary>Clears <see cref="Attention"/> once an operator has dealt with it.</summary>
    public void ClearAttention(DateTimeOffset now)
    {
        Attention = null;
        UpdatedAt = now;
    }

    public void RecordRefund(long amountRefunded, DateTimeOffset now)
    {
        AmountRefunded = Math.Max(AmountRefunded, amountRefunded);
        UpdatedAt = now;
    }

    public void SetDisputed(bool disputed, DateTimeOffset now)
    {
        Disputed = disputed;
        UpdatedAt = now;
    }
}
