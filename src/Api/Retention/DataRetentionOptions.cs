using System.ComponentModel.DataAnnotations;

namespace PuffinOffset.Api.Retention;

/// <summary>
/// How long personal data and dedupe records are kept: <c>CUSTOMER_DATA_RETENTION</c>, <c>STRIPE_EVENT_RETENTION</c>,
/// and the pass's timing (configuration section <c>DataRetention</c>).
/// </summary>
public sealed class DataRetentionOptions
{
    public const string Section = "DataRetention";
    public const string CustomerDataVariable = "CUSTOMER_DATA_RETENTION";
    public const string StripeEventsVariable = "STRIPE_EVENT_RETENTION";

    /// <summary>
    /// Stripe retries a webhook for 3 days and the reconciler lists undelivered events 30 days back: an event id
    /// forgotten sooner could arrive again and be applied twice.
    /// </summary>
    public static readonly TimeSpan StripeDedupeWindow = TimeSpan.FromDays(33);

    /// <summary>After this an order keeps its amounts, ids and statuses but not its customer's email.</summary>
    public TimeSpan CustomerData { get; set; } = TimeSpan.FromDays(400);

    /// <summary>After this a <c>stripe_events</c> row is deleted; never shorter than <see cref="StripeDedupeWindow"/>.</summary>
    public TimeSpan StripeEvents { get; set; } = TimeSpan.FromDays(90);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "DataRetention__Interval must be between {1} and {2}.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows changed per statement, so one pass never holds a long write lock (SQLite has one for the whole file).</summary>
    [Range(1, 100_000, ErrorMessage = "DataRetention__BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 1000;
}
