using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PuffinOffset.Fulfillment.Observability;

/// <summary>Traces and metrics of the fulfilment worker ("PuffinOffset.Fulfillment").</summary>
public sealed class FulfillmentTelemetry : IDisposable
{
    public const string Name = "PuffinOffset.Fulfillment";
    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _placed;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _paymentToPlaced;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _retryAfterCapped;
    private readonly Counter<long> _lookupsAfterRestore;
    private readonly Counter<long> _refundChecks;

    public FulfillmentTelemetry(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _placed = _meter.CreateCounter<long>("puffin.offsets.placed", "{order}", "Offset orders placed at Wren (dry runs included).");
        _failed = _meter.CreateCounter<long>("puffin.offsets.failed", "{order}", "Offset orders that ended fulfillment_failed.");
        _attempts = _meter.CreateCounter<long>("puffin.wren.attempts", "{request}", "Wren order requests, by outcome.");
        _duplicates = _meter.CreateCounter<long>("puffin.wren.duplicate_orders_detected", "{order}", "Extra Wren orders found with the note of an order that already has one (zero tolerance: each is paid twice).");
        _retryAfterCapped = _meter.CreateCounter<long>("puffin.wren.retry_after_capped", "{answer}", "Wren 429s whose Retry-After was longer than WREN_MAX_RETRY_AFTER and was cut to it.");
        _lookupsAfterRestore = _meter.CreateCounter<long>("puffin.offsets.restore_lookups", "{order}", "Fulfilments scheduled to look their note up at Wren before the first POST because the order predates a restore of the database.");
        _refundChecks = _meter.CreateCounter<long>("puffin.fulfillment.refund_checks", "{order}", "Delayed purchases confirmed with the Api before their attempt, by outcome (not_refunded, refunded, unavailable).");
        _paymentToPlaced = _meter.CreateHistogram<double>("puffin.offsets.payment_to_placed.duration", "s", "Time from payment to the placed Wren order.");
        // Exported from the first scrape, so an alert on their increase sees the very first one.
        _duplicates.Add(0);
        _retryAfterCapped.Add(0);
    }

    public void Placed(bool dryRun, TimeSpan sincePayment)
    {
        _placed.Add(1, new KeyValuePair<string, object?>("dry_run", dryRun));
        _paymentToPlaced.Record(Math.Max(0, sincePayment.TotalSeconds), new KeyValuePair<string, object?>("dry_run", dryRun));
    }

    /// <summary><paramref name="extraOrders"/>: the Wren orders beyond the one kept.</summary>
    public void DuplicateOrdersDetected(int extraOrders) => _duplicates.Add(extraOrders);

    public void RetryAfterCapped() => _retryAfterCapped.Add(1);

    /// <summary>Counted once the commit that scheduled the fulfilment is durable; those the restored database holds are reported by the <c>restored</c> command.</summary>
    public void LookupAfterRestore() => _lookupsAfterRestore.Add(1);

    /// <summary>Counted once the transaction that acted on the Api's answer has committed.</summary>
    public void RefundChecked(Refunds.RefundCheckOutcome outcome) => _refundChecks.Add(1, new KeyValuePair<string, object?>("outcome", outcome switch
    {
        Refunds.RefundCheckOutcome.NotRefunded => "not_refunded",
        Refunds.RefundCheckOutcome.Refunded => "refunded",
        _ => "unavailable",
    }));

    public void Failed(string kind) => _failed.Add(1, new KeyValuePair<string, object?>("reason", kind));

    public void Attempt(string outcome) => _attempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Continues the trace of the consumer that scheduled the fulfilment (stored W3C context).</summary>
    public static Activity? StartProcessing(Guid orderId, string? traceParent, string? traceState)
    {
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        var activity = ActivitySource.StartActivity("fulfil offset order", ActivityKind.Internal, parent);
        if (activity is null && traceParent is not null)
        {
            // Nobody samples our source: still carry the trace id into the HTTP call, logs and outbox rows.
            activity = new Activity("fulfil offset order").SetParentId(traceParent).Start();
        }

        activity?.SetTag("puffin.order_id", orderId.ToString());
        return activity;
    }

    public void Dispose() => _meter.Dispose();
}
