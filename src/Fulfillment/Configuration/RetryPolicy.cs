namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>
/// The durable backoff schedule: delay before retry n, bounded by a horizon from the first attempt.
/// After an unknown outcome the next step (the note lookup) waits at least <see cref="UnknownOutcomeSettleTime"/>,
/// so that a request Wren is still working on has finished before we conclude it created nothing.
/// </summary>
public sealed record RetryPolicy(IReadOnlyList<TimeSpan> Delays, TimeSpan Horizon, TimeSpan UnknownOutcomeSettleTime = default)
{
    public TimeSpan DelayBeforeRetry(int retry) => Delays[Math.Clamp(retry - 1, 0, Delays.Count - 1)];

    public TimeSpan DelayBeforeRetry(int retry, bool outcomeUnknown) =>
        outcomeUnknown && UnknownOutcomeSettleTime > DelayBeforeRetry(retry) ? UnknownOutcomeSettleTime : DelayBeforeRetry(retry);
}
