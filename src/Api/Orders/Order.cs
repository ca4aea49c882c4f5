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
    /// <summary>When the customer's email was erased (retention or an erasure request); a later Stripe event never brings it back.</summary>
    public DateTimeOffset? CustomerEmailErasedAt { get; private set; }
    public string? PaymentIntentId { get; private set; }
    public string? WrenOrderId { get; private set; }
    public bool? DryRun { get; private set; }
    public string? IdempotencyKey { get; private set; }
    public string? RequestHash { get; private set; }
    /// <summary>Cents Stripe refunded so far (0 when none).</summary>
    public long AmountRefunded { get; private set; }
    /// <summary>True while a dispute (chargeback) on the payment is open.</summary>
    public bool Disputed { get; private set; }
    /// <summary>
    /// The reasons an operator must look at this order (money and offset disagree). Loaded with the order are
    /// the open ones only (see OrderAttentionItemConfiguration), plus any this unit of work raised or resolved.
    /// </summary>
    public IReadOnlyCollection<OrderAttentionItem> Attention => _attention;
    /// <summary>True when the payment that made this order paid was a live-mode one (Stripe's <c>livemode</c>).</summary>
    public bool PaidInLiveMode { get; private set; }
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
    /// <summary>When the order was refunded in full; the <see cref="OrderRefunded"/> it sends carries it on every resend.</summary>
    public DateTimeOffset? RefundedAt { get; private set; }
    /// <summary>When Fulfillment answered the refund (<see cref="OrderRefundAcknowledged"/>); until then <see cref="OrderRefunded"/> is resent.</summary>
    public DateTimeOffset? RefundAcknowledgedAt { get; private set; }
    /// <summary>How often <see cref="OrderRefunded"/> was published again because Fulfillment had not answered.</summary>
    public int OrderRefundedResends { get; private set; }
    /// <summary>When the next resend of <see cref="OrderRefunded"/> is due; null until the first (refunded + the resend delay).</summary>
    public DateTimeOffset? NextOrderRefundedResendAt { get; private set; }
    /// <summary>An operator's replay request still waiting for an outcome (<see cref="FulfillmentReplayRequested.RequestId"/>); null once one arrived.</summary>
    public Guid? PendingReplayRequestId { get; private set; }
    public DateTimeOffset? ReplayRequestedAt { get; private set; }
    /// <summary>How often the pending <see cref="FulfillmentReplayRequested"/> was published again.</summary>
    public int ReplayRequestResends { get; private set; }
    public DateTimeOffset? NextReplayRequestResendAt { get; private set; }

    private readonly List<OrderAttentionItem> _attention = [];

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

    public bool TryMarkPaid(string? paymentIntentId, string? customerEmail, DateTimeOffset now, bool liveMode = false)
    {
        if (!TryMoveTo(OrderStatus.Paid, now))
        {
            return false;
        }

        PaymentIntentId = paymentIntentId ?? PaymentIntentId;
        if (CustomerEmailErasedAt is null)
        {
            CustomerEmail ??= customerEmail;
        }

        PaidAt = now;
        PaidInLiveMode = liveMode;
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

    /// <summary>Forgets the customer's email for good; amounts, ids and statuses stay.</summary>
    public void EraseCustomerEmail(DateTimeOffset now)
    {
        CustomerEmail = null;
        CustomerEmailErasedAt ??= now;
    }

    /// <summary>What Fulfillment needs to cancel this order's purchase; the first send and every resend carry the same facts.</summary>
    public OrderRefunded ToOrderRefunded() => new(Id, AmountRefunded, RefundedAt ?? UpdatedAt);

    /// <summary>Counts one more resend of <see cref="OrderRefunded"/> and when the next is due.</summary>
    public void RecordOrderRefundedResent(DateTimeOffset nextResendAt)
    {
        OrderRefundedResends++;
        NextOrderRefundedResendAt = nextResendAt;
    }

    /// <summary>Fulfillment answered the refund: no more resends. Returns false when it had answered already (a copy).</summary>
    public bool AcknowledgeRefund(DateTimeOffset now)
    {
        if (RefundAcknowledgedAt is not null)
        {
            return false;
        }

        RefundAcknowledgedAt = now;
        return true;
    }

    /// <summary>An operator asked Fulfillment to replay the failed fulfilment: the request is resent until an outcome arrives.</summary>
    public FulfillmentReplayRequested RequestReplay(Guid requestId, string requestedBy, string? note, DateTimeOffset now)
    {
        PendingReplayRequestId = requestId;
        ReplayRequestedAt = now;
        ReplayRequestResends = 0;
        NextReplayRequestResendAt = null;
        return ToReplayRequested(requestedBy, note);
    }

    /// <summary>The pending replay request as Fulfillment receives it: the same request id on every resend.</summary>
    public FulfillmentReplayRequested ToReplayRequested(string requestedBy, string? note) => new(Id, requestedBy, note, PendingReplayRequestId);

    /// <summary>Counts one more resend of the pending replay request and when the next is due.</summary>
    public void RecordReplayRequestResent(DateTimeOffset nextResendAt)
    {
        ReplayRequestResends++;
        NextReplayRequestResendAt = nextResendAt;
    }

    /// <summary>An outcome (placed or failed) arrived: a replay request sent before it has its answer.</summary>
    public void RecordOutcomeReceived() => PendingReplayRequestId = null;

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

    /// <summary>Keeps the payment intent a Checkout event names: refunds and disputes find the order by it.</summary>
    public void RememberPaymentIntent(string? paymentIntentId) => PaymentIntentId ??= paymentIntentId;

    /// <summary>
    /// Asks an operator to look at this order: a new open item beside any others, so nothing an operator must
    /// see is overwritten before they have seen it.
    /// </summary>
    /// <returns>False when this reason is already open on the order.</returns>
    public bool RequireAttention(AttentionReason reason, DateTimeOffset now)
    {
        if (_attention.Any(item => item.IsOpen && item.Matches(reason)))
        {
            return false;
        }

        _attention.Add(OrderAttentionItem.Raise(Id, reason, now));
        UpdatedAt = now;
        return true;
    }

    public bool NeedsAttention => _attention.Any(item => item.IsOpen);

    /// <summary>
    /// Wren accepted the offset as a dry run, but the customer paid in live mode: nothing was bought for real money.
    /// </summary>
    /// <returns>True the first time this is noticed for the order.</returns>
    public bool FlagLivePaymentFulfilledByDryRun(bool dryRun, DateTimeOffset now) =>
        dryRun && PaidInLiveMode && RequireAttention(OrderAttention.LivePaymentFulfilledByDryRun, now);

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

    /// <summary>
    /// Stripe took a payment for an order that was already expired or failed (the customer paid in another tab,
    /// or a delayed payment succeeded late): no offset will be bought, so an operator must refund or replay it.
    /// </summary>
    /// <returns>True the first time this is noticed for the order.</returns>
    public bool FlagPaymentForUnfulfillableOrder(string? paymentIntentId, DateTimeOffset now)
    {
        RememberPaymentIntent(paymentIntentId);
        return RequireAttention(OrderAttention.PaymentForUnfulfillableOrder, now);
    }

    /// <summary>
    /// What <c>charge.refunded</c> does: a full refund ends the order (<see cref="OrderStatus.Refunded"/>), a partial
    /// one is recorded for an operator. Refund amounts only grow, so a late or repeated event changes nothing.
    /// </summary>
    public RefundChange ApplyRefund(long amountRefunded, bool fullRefund, DateTimeOffset now)
    {
        var wasFulfilled = Status == OrderStatus.Fulfilled;
        if (fullRefund && TryMoveTo(OrderStatus.Refunded, now))
        {
            RefundedAt = now;
            RecordRefund(amountRefunded, now);
            if (wasFulfilled)
            {
                RequireAttention(OrderAttention.OffsetBoughtForRefund(WrenOrderId), now);
            }

            return RefundChange.Refunded;
        }

        if (amountRefunded <= AmountRefunded)
        {
            return RefundChange.None;
        }

        RecordRefund(amountRefunded, now);
        // A full refund of an order that was never going to be fulfilled (expired, payment failed) is the
        // operator's answer to its attention, not a new question.
        if (!fullRefund)
        {
            RequireAttention(OrderAttention.PartialRefund(AmountRefunded, AmountTotal), now);
        }

        return RefundChange.Recorded;
    }

    /// <summary>
    /// Wren placed the offset after Stripe refunded the payment (the refund raced the purchase): the order stays
    /// refunded, keeps the Wren order for the record, and an operator decides what to do with the offset.
    /// </summary>
    public bool RecordOffsetAfterRefund(string? wrenOrderId, bool dryRun, DateTimeOffset now)
    {
        if (Status != OrderStatus.Refunded)
        {
            return false;
        }

        WrenOrderId = wrenOrderId;
        DryRun = dryRun;
        RequireAttention(OrderAttention.OffsetBoughtForRefund(wrenOrderId), now);
        return true;
    }

    public void OpenDispute(string? disputeId, string? reason, DateTimeOffset now)
    {
        SetDisputed(true, now);
        RequireAttention(OrderAttention.DisputeOpened(disputeId, reason), now);
    }

    public void CloseDispute(string? disputeId, string? status, DateTimeOffset now)
    {
        SetDisputed(false, now);
        RequireAttention(OrderAttention.DisputeClosed(disputeId, status), now);
    }
}

public enum RefundChange
{
    /// <summary>Nothing new: Stripe had refunded no more than we already knew.</summary>
    None,

    /// <summary>The refunded amount grew; the status stayed.</summary>
    Recorded,

    /// <summary>Refunded in full: the order moved to <see cref="OrderStatus.Refunded"/>.</summary>
    Refunded,
}
