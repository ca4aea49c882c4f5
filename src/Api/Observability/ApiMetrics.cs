using System.Diagnostics.Metrics;
using PuffinOffset.Api.Webhooks;

namespace PuffinOffset.Api.Observability;

/// <summary>
/// Meter <c>PuffinOffset.Api</c>: checkout sessions, webhook outcomes, the jobs that heal lost messages, and
/// the order counts an operator alerts on (deploy/prometheus/alerts.yml).
/// </summary>
public sealed class ApiMetrics
{
    public const string MeterName = "PuffinOffset.Api";

    private readonly Counter<long> _sessionsCreated;
    private readonly Counter<long> _stripeCheckoutErrors;
    private readonly Counter<long> _webhookEvents;
    private readonly Counter<long> _unknownOrderEvents;
    private readonly Counter<long> _resends;
    private readonly Counter<long> _messageResends;
    private readonly Counter<long> _reconciled;
    private readonly Counter<long> _reconciledEvents;
    private long _paidWithoutOutcome;
    private double _oldestPaidWithoutOutcomeSeconds;
    private readonly Counter<long> _refunded;
    private readonly Counter<long> _paidForUnfulfillable;
    private readonly Counter<long> _livePaidDryRun;
    private readonly Counter<long> _signatureFailures;
    private OrderCounts? _orderCounts;

    public ApiMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _sessionsCreated = meter.CreateCounter<long>("puffin.checkout.sessions_created", "{session}", "Stripe Checkout sessions created.");
        _stripeCheckoutErrors = meter.CreateCounter<long>("puffin.checkout.stripe_errors", "{request}",
            "Checkout sessions Stripe's API did not create (the customer got a 503), by error_type.");
        _webhookEvents = meter.CreateCounter<long>("puffin.stripe.webhook_events", "{event}", "Stripe webhook deliveries by event type and outcome.");
        _unknownOrderEvents = meter.CreateCounter<long>("puffin.stripe.webhook_unknown_order_events", "{event}", "Checkout events for a session and order this Api does not know.");
        _resends = meter.CreateCounter<long>("puffin.orders.payment_completed_resends", "{message}", "PaymentCompleted published again for a paid order without an outcome.");
        _messageResends = meter.CreateCounter<long>("puffin.orders.message_resends", "{message}",
            "Messages published to Fulfillment again because it had not answered, by message_type (PaymentCompleted, OrderRefunded, FulfillmentReplayRequested).");
        _reconciled = meter.CreateCounter<long>("puffin.stripe.reconciled_orders", "{order}", "Orders moved by asking Stripe, because their webhook did not arrive: alert on a non-zero rate.");
        _reconciledEvents = meter.CreateCounter<long>("puffin.stripe.reconciled_events", "{event}",
            "Stripe events found through the Events API because their webhook was never delivered: alert on a non-zero rate.");
        meter.CreateObservableGauge("puffin.orders.paid_without_outcome", () => Interlocked.Read(ref _paidWithoutOutcome), "{order}", "Paid orders Fulfillment has not answered yet.");
        meter.CreateObservableGauge("puffin.orders.paid_without_outcome.oldest_age", () => Volatile.Read(ref _oldestPaidWithoutOutcomeSeconds), "s", "Time since the oldest paid order without an outcome was paid.");
        _refunded = meter.CreateCounter<long>("puffin.orders.refunded", "{order}", "Orders refunded in full (charge.refunded).");
        _paidForUnfulfillable = meter.CreateCounter<long>("puffin.orders.paid_for_unfulfillable", "{order}",
            "Payments taken for an expired or payment_failed order: refund or replay them.");
        _livePaidDryRun = meter.CreateCounter<long>("puffin.orders.live_paid_dry_run", "{order}",
            "Orders paid in live mode that Fulfillment placed as a dry run: nothing was bought for the customer's money.");
        _signatureFailures = meter.CreateCounter<long>("puffin.stripe.webhook_signature_failures", "{request}",
            "Webhook requests rejected because the Stripe-Signature header was missing, wrong or too old, or the signed body was not an event.");
        meter.CreateObservableGauge("puffin.orders.attention", () => OrderCount(counts => counts.Attention), "{order}",
            "Orders whose money and offset disagree until an operator resolves them.");
        meter.CreateObservableGauge("puffin.orders.fulfillment_failed", () => OrderCount(counts => counts.FulfillmentFailed), "{order}",
            "Paid orders whose offset could not be bought: replay or refund them.");

        // A counter is exported only after its first Add: start each reason at zero, so an alert on its
        // rate sees a series from the first scrape and the very first failure counts as an increase.
        foreach (var failure in Enum.GetValues<SignatureFailure>().Where(failure => failure != SignatureFailure.None))
        {
            _signatureFailures.Add(0, SignatureFailureTag(failure));
        }

        foreach (var errorType in StripeCheckoutErrorTypes)
        {
            _stripeCheckoutErrors.Add(0, ErrorTypeTag(errorType));
        }

        _refunded.Add(0);
        _paidForUnfulfillable.Add(0);
        _livePaidDryRun.Add(0);
        _resends.Add(0);
        foreach (var messageType in ResentMessageTypes)
        {
            _messageResends.Add(0, MessageTypeTag(messageType));
        }

        foreach (var outcome in new[] { "paid", "awaiting_payment", "payment_failed", "expired" })
        {
            _reconciled.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
        }

        foreach (var type in StripeWebhookEvent.HandledTypes)
        {
            _reconciledEvents.Add(0, EventTypeTag(type));
        }
    }

    public void CheckoutSessionCreated() => _sessionsCreated.Add(1);

    /// <summary>
    /// authentication (401/403: an expired, revoked or wrong STRIPE_SECRET_KEY), rate_limited (429), stripe_error
    /// (any other answer from Stripe), unreachable (no answer: network, DNS, TLS) and timeout.
    /// </summary>
    public static readonly IReadOnlyList<string> StripeCheckoutErrorTypes = ["authentication", "rate_limited", "stripe_error", "unreachable", "timeout"];

    /// <param name="errorType">One of <see cref="StripeCheckoutErrorTypes"/>.</param>
    public void CheckoutStripeFailed(string errorType) => _stripeCheckoutErrors.Add(1, ErrorTypeTag(errorType));

    private static KeyValuePair<string, object?> ErrorTypeTag(string errorType) => new("error_type", errorType);

    public void WebhookEvent(string eventType, string outcome) => _webhookEvents.Add(1,
        new KeyValuePair<string, object?>("stripe.event_type", eventType),
        new KeyValuePair<string, object?>("outcome", outcome));

    public void PaidWithoutOutcome(long count, TimeSpan oldestAge)
    {
        Interlocked.Exchange(ref _paidWithoutOutcome, count);
        Volatile.Write(ref _oldestPaidWithoutOutcomeSeconds, oldestAge.TotalSeconds);
    }

    /// <summary>The messages the Api resends until Fulfillment answers them.</summary>
    public static readonly IReadOnlyList<string> ResentMessageTypes = ["PaymentCompleted", "OrderRefunded", "FulfillmentReplayRequested"];

    /// <param name="messageType">One of <see cref="ResentMessageTypes"/>.</param>
    public void MessageResent(string messageType)
    {
        _messageResends.Add(1, MessageTypeTag(messageType));
        if (messageType == "PaymentCompleted")
        {
            _resends.Add(1);
        }
    }

    private static KeyValuePair<string, object?> MessageTypeTag(string messageType) => new("message_type", messageType);

    /// <param name="outcome">paid, awaiting_payment, payment_failed or expired.</param>
    public void Reconciled(string outcome) => _reconciled.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>An undelivered event read from Stripe's Events API and recorded (not one the Api already had).</summary>
    public void EventReconciled(string eventType) => _reconciledEvents.Add(1, EventTypeTag(eventType));

    public void UnknownOrderEvent(string eventType) =>
        _unknownOrderEvents.Add(1, new KeyValuePair<string, object?>("stripe.event_type", eventType));

    public void OrderRefunded() => _refunded.Add(1);

    public void PaidForUnfulfillable() => _paidForUnfulfillable.Add(1);

    public void LivePaidDryRun() => _livePaidDryRun.Add(1);

    public void WebhookSignatureFailed(SignatureFailure failure) => _signatureFailures.Add(1, SignatureFailureTag(failure));

    /// <summary>The latest counts read by <see cref="OrderGaugeRefresher"/>; gauges stay empty until the first read.</summary>
    public void OrdersCounted(OrderCounts counts) => Volatile.Write(ref _orderCounts, counts);

    private IEnumerable<Measurement<long>> OrderCount(Func<OrderCounts, long> select) =>
        Volatile.Read(ref _orderCounts) is { } counts ? [new Measurement<long>(select(counts))] : [];

    private static KeyValuePair<string, object?> EventTypeTag(string eventType) => new("stripe.event_type", eventType);

    private static KeyValuePair<string, object?> SignatureFailureTag(SignatureFailure failure) => new("reason", failure switch
    {
        SignatureFailure.MissingHeader => "missing_header",
        SignatureFailure.Invalid => "invalid",
        SignatureFailure.NotAnEvent => "not_an_event",
        _ => failure.ToString(),
    });
}

/// <summary>Order counts behind the <c>orders.*</c> gauges.</summary>
public sealed record OrderCounts(long Attention, long FulfillmentFailed);
