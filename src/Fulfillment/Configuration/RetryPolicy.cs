namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>The durable backoff schedule: delay before retry n, bounded by a horizon from the first attempt.</summary>
public sealed record RetryPolicy(IReadOnlyList<TimeSpan> Delays, TimeSpan Horizon)
{
    public TimeSpan DelayBeforeRetry(int retry) => Delays[Math.Clamp(retry - 1, 0, Delays.Count - 1)];
}
