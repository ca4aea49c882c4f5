using System.Diagnostics.Metrics;

namespace PuffinOffset.Api.Observability;

/// <summary>Meter <c>PuffinOffset.Api</c>: checkout sessions and webhook outcomes.</summary>
public sealed class ApiMetrics
{
    public const string MeterName = "PuffinOffset.Api";

    private readonly Counter<long> _sessionsCreated;
    private readonly Counter<long> _webhookEvents;
    private readonly Counter<long> _unknownOrderEvents;
    private readonly Counter<long> _refunded;
    private readonly Counter<long> _paidForUnfulfillable;

    public ApiMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _sessionsCreated = meter.CreateCounter<long>("checkout.sessions_created", "{session}", "Stripe Checkout sessions created.");
        _webhookEvents = meter.CreateCounter<long>("stripe.webhook_events", "{event}", "Stripe webhook deliveries by event type and outcome.");
        _unknownOrderEvents = meter.CreateCounter<long>("stripe.webhook_unknown_order_events", "{event}", "Checkout events for a session and order this Api does not know.");
        _refunded = meter.CreateCounter<long>("orders.refunded", "{order}", "Orders refunded in full (charge.refunded).");
        _paidForUnfulfillable = meter.CreateCounter<long>("orders.paid_for_unfulfillable", "{order}",
            "Payments taken for an expired or payment_failed order: refund or replay them.");
    }

    public void CheckoutSessionCreated() => _sessionsCreated.Add(1);

    public void WebhookEvent(string eventType, string outcome) => _webhookEvents.Add(1,
        new KeyValuePair<string, object?>("stripe.event_type", eventType),
        new KeyValuePair<string, object?>("outcome", outcome));

    public void UnknownOrderEvent(string eventType) =>
        _unknownOrderEvents.Add(1, new KeyValuePair<string, object?>("stripe.event_type", eventType));

    public void OrderRefunded() => _refunded.Add(1);

    public void PaidForUnfulfillable() => _paidForUnfulfillable.Add(1);
}
