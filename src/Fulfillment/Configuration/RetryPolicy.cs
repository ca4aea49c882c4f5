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

    /// <summary>
    /// A POST leaves within this of the attempt start its step last committed: one held up longer (a loaded machine, the
    /// refund check right before it) commits a new start at its lease fence first (FulfillmentProcessor).
    /// </summary>
    public static readonly TimeSpan PostStartSlack = TimeSpan.FromSeconds(1);

    /// <summary>The earliest moment the outcome of an attempt started at <paramref name="attemptStartedAt"/> may be looked up.</summary>
    public DateTimeOffset EarliestLookup(DateTimeOffset attemptStartedAt) => attemptStartedAt + WrenTimeout + UnknownOutcomeSettleTime;

    /// <summary>
    /// <see cref="EarliestLookup"/> for an attempt found interrupted, whose POST (if it left) left up to
    /// <see cref="PostStartSlack"/> after the start it committed.
    /// </summary>
    public DateTimeOffset EarliestLookupAfterInterruption(DateTimeOffset committedStart) => EarliestLookup(committedStart + PostStartSlack);

    /// <summary>When retry n may run: after its backoff delay, and for an unknown outcome not before <see cref="EarliestLookup"/>.</summary>
    public DateTimeOffset NextTry(int retry, bool outcomeUnknown, DateTimeOffset attemptStartedAt, DateTimeOffset now)
    {
        var next = now + DelayBeforeRetry(retry);
        return outcomeUnknown && EarliestLookup(attemptStartedAt) > next ? EarliestLookup(attemptStartedAt) : next;
    }
}
