using System.Diagnostics.Metrics;
using PuffinOffset.Api.Observability;

namespace PuffinOffset.Api.Retention;

/// <summary>What the retention pass and erasure requests removed (meter <c>PuffinOffset.Api</c>).</summary>
public sealed class RetentionMetrics
{
    public const string Expired = "retention";
    public const string Requested = "request";

    private readonly Counter<long> _emailsErased;
    private readonly Counter<long> _stripeEventsDeleted;

    public RetentionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(ApiMetrics.MeterName);
        _emailsErased = meter.CreateCounter<long>("puffin.orders.customer_emails_erased", "{order}",
            "Orders whose customer email was erased, by reason: retention (CUSTOMER_DATA_RETENTION passed) or request (an erasure request).");
        _stripeEventsDeleted = meter.CreateCounter<long>("puffin.stripe.events_deleted", "{event}",
            "stripe_events rows deleted after STRIPE_EVENT_RETENTION.");
        // Exported from the first scrape, so a rate sees a series before the first erasure.
        _emailsErased.Add(0, Reason(Expired));
        _emailsErased.Add(0, Reason(Requested));
        _stripeEventsDeleted.Add(0);
    }

    public void EmailsErased(int orders, string reason) => _emailsErased.Add(orders, Reason(reason));

    public void StripeEventsDeleted(int events) => _stripeEventsDeleted.Add(events);

    private static KeyValuePair<string, object?> Reason(string reason) => new("reason", reason);
}
