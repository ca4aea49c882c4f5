using System.ComponentModel.DataAnnotations;

namespace PuffinOffset.Messaging.Persistence;

/// <summary>How long delivered outbox rows and inbox records are kept (configuration section <c>MessageRetention</c>).</summary>
public sealed class MessageRetentionOptions
{
    public const string Section = "MessageRetention";

    /// <summary>Published outbox rows are only kept for investigation.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan DispatchedOutbox { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Inbox records must outlive any redelivery of their message (broker redelivery, a republished
    /// outbox row after a crash): far longer than those windows, which are minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "365.00:00:00")]
    public TimeSpan Inbox { get; set; } = TimeSpan.FromDays(30);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
}
