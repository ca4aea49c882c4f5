namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>
/// The durable backoff schedule: delay before retry n, bounded by a horizon from the first attempt.
/// After an unknown outcome the next step (the note lookup) waits until the attempt's POST can no longer be
/// running at Wren: attempt start + <see cref="WrenTimeout"/> (our client gives up by then; Wren may still be
/// writing) + <see cref="UnknownOutcomeSettleTime"/> (Wren finishing what it had received). A lookup any
/// earlier could miss an order still being written and lead to a second one.
/// </summary>
public sealed record RetryPolicy(
    IReadOnlyList<TimeSpan> Delays,
    TimeSpan Horizon,
    TimeSpan UnknownOutcomeSettleTime = default,
    TimeSpan WrenTimeout = default)
{
    public TimeSpan DelayBeforeRetry(int retry) => Delays[Math.Clamp(retry - 1, 0, Delays.Count - 1)];

    /// <summary>The earliest moment the outcome of an attempt started at <paramref name="attemptStartedAt"/> may be looked up.</summary>
    public DateTimeOffset EarliestLookup(DateTimeOffset attemptStartedAt) => attemptStartedAt + WrenTimeout + UnknownOutcomeSettleTime;

    /// <summary>When retry n may run: after its backoff delay, and for an unknown outcome not before <see cref="EarliestLookup"/>.</summary>
    public DateTimeOffset NextTry(int retry, bool outcomeUnknown, DateTimeOffset attemptStartedAt, DateTimeOffset now)
    {
        var next = now + DelayBeforeRetry(retry);
        return outcomeUnknown && EarliestLookup(attemptStartedAt) > next ? EarliestLookup(attemptStartedAt) : next;
    }
}
