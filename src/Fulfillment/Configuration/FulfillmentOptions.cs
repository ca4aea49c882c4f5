using System.ComponentModel.DataAnnotations;

namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>Timing of the fulfilment worker (config section <c>Fulfillment</c>); tests shorten every delay.</summary>
public sealed class FulfillmentOptions
{
    public const string Section = "Fulfillment";

    /// <summary>Fallback poll: the worker is normally woken by the consumer's signal or by the next due time.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00", ErrorMessage = "Fulfillment__PollInterval must be between {1} and {2}.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Delay before retry n (1-based) after a transient failure; the last entry repeats. Empty means the
    /// default: three quick retries (1 s, 5 s, 15 s), then 1, 5, 15, 30 and 60 minutes.
    /// </summary>
    public TimeSpan[] RetryDelays { get; set; } = [];

    /// <summary>How long after the first attempt transient failures are still retried.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "30.00:00:00", ErrorMessage = "Fulfillment__RetryHorizon must be between {1} and {2}.")]
    public TimeSpan RetryHorizon { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Extra wait, beyond <see cref="WrenTimeout"/> from the attempt's start, before an unknown outcome is
    /// looked up: a request we gave up on (or were shut down during) may still be finishing at Wren, and a
    /// lookup too early would miss it and lead to a second order. Never zero, for the same reason.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "Fulfillment__UnknownOutcomeSettleTime must be between {1} and {2}: more than zero, or a lookup races Wren still writing an order we gave up on (a second order).")]
    public TimeSpan UnknownOutcomeSettleTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long after its outcome a fulfilment whose POST's answer was lost is looked up by note once more: Wren may
    /// store a request we gave up on after our lookup missed it (a second order, or an offset bought for a cancelled
    /// fulfilment), and that late order must be reported. Longer catches slower Wren stragglers, later.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00", ErrorMessage = "Fulfillment__LateOrderCheckAfter must be between {1} and {2} (never negative).")]
    public TimeSpan LateOrderCheckAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Per-request timeout of a Wren call; a POST that times out has an unknown outcome.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "Fulfillment__WrenTimeout must be between {1} and {2} (more than zero).")]
    public TimeSpan WrenTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a replica holds a fulfilment it claimed (renewed when the POST starts). Must outlast a Wren
    /// call comfortably: a holder that is still working when it runs out loses the fulfilment to another
    /// replica, which then treats an Attempting row as an unknown outcome (a lookup, never a second POST).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A <c>PaymentCompleted</c> that waited in the broker longer than this (its sent time to its consumption) comes
    /// from a backlog (Fulfillment was down or behind): its full refund may be waiting on the other queue, so its
    /// first attempt waits for the refunds (<see cref="BacklogRefundGrace"/>). A normal payment waits for nothing.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "Fulfillment__BacklogThreshold must be between {1} and {2}.")]
    public TimeSpan BacklogThreshold { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The least wait before the first attempt of a payment consumed from a backlog; it also needs the refund queue
    /// seen drained after it was scheduled. The grace covers refunds another replica is applying at that moment.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Fulfillment__BacklogRefundGrace must be between {1} and {2} (never negative).")]
    public TimeSpan BacklogRefundGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A purchase that begins this long or longer after its payment (the earlier of <c>PaymentCompleted.paidAt</c> and
    /// when Fulfillment scheduled it) is first confirmed with the Api (<c>API_INTERNAL_URLS</c>): the refund may have been
    /// accepted there and not have reached Fulfillment yet. Below 10 s: no offset is ever bought from a POST sent more
    /// than 10 s after the Api last said it was not refunded (a POST held up longer asks again). Zero checks every purchase,
    /// and again right before its POST.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:09.999", ErrorMessage = "Fulfillment__RefundCheckAfter must be between {1} and {2} (under 10 s).")]
    public TimeSpan RefundCheckAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one question to one Api instance may take before the next instance is asked.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ErrorMessage = "Fulfillment__RefundCheckTimeout must be between {1} and {2}.")]
    public TimeSpan RefundCheckTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Wren calls in flight at once per process (<c>WREN_MAX_CONCURRENCY</c>, default 16): different orders
    /// fulfilled at once; one order is never processed twice at the same time.
    /// </summary>
    [Range(1, MaxConcurrencyLimit, ErrorMessage = "WREN_MAX_CONCURRENCY must be between {1} and {2}.")]
    public int MaxConcurrency { get; set; } = 16;

    public const int MaxConcurrencyLimit = 256;

    public static readonly TimeSpan[] DefaultRetryDelays =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15),
        TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(60),
    ];

    public RetryPolicy RetryPolicy => new(RetryDelays.Length > 0 ? RetryDelays : DefaultRetryDelays, RetryHorizon, UnknownOutcomeSettleTime, WrenTimeout);
}
