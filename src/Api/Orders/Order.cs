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
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

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
        return true;
    }

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
}
