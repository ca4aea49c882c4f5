using System.ComponentModel.DataAnnotations;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>Tuning of the outbox dispatcher (configuration section <c>Outbox</c>).</summary>
public sealed class OutboxOptions
{
    public const string Section = "Outbox";

    /// <summary>Off only in tests that simulate a process dying between commit and publish.</summary>
    public bool DispatcherEnabled { get; set; } = true;

    /// <summary>Fallback poll when no commit signal arrives (rows left by a previous process).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// Rows published at once, their broker confirms awaited together (a window of the batch). 1 publishes
    /// one row at a time and waits for each confirm.
    /// </summary>
    [Range(1, 1000)]
    public int PublishConcurrency { get; set; } = 64;

    /// <summary>
    /// SQLite: how long the "dispatched" marks of confirmed rows are gathered before one write records them
    /// all, so the dispatcher takes the file's single write lock a few times a second instead of after every
    /// batch. A crash in between republishes those rows with the same message ids (the receivers' inboxes
    /// drop the copies). Zero writes the marks after each batch. PostgreSQL always marks each batch at once:
    /// its rows stay locked (claimed) until they are marked.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan MarkInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long one publish may wait for the broker's confirm before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Failed publishes of one row before it is parked (kept, skipped, listed for an operator) — counted
    /// only while other rows do get through, so a broker outage parks nothing.
    /// </summary>
    [Range(1, 1000)]
    public int MaxPublishAttempts { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan MinRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}
