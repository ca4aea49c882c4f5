namespace PuffinOffset.Fulfillment.Wren;

/// <summary>
/// Wren's rate limit as this process last heard it. A 429 pauses every new Wren call of the process, not
/// only the order that got it: Wren limits the account, so the next due orders would be refused too and
/// each refusal would spend one of their retries. The pause lasts until Wren's <c>Retry-After</c>, or the
/// refused order's own backoff when Wren named no time. Calls already in flight finish; the worker starts
/// nothing new until the pause is over. Per process: replicas each learn of the limit from their own 429.
/// </summary>
public sealed partial class WrenRateLimit(ILogger<WrenRateLimit> logger)
{
    private long _pausedUntilTicks;

    /// <summary>When new Wren calls may start again, or null when they may start now.</summary>
    public DateTimeOffset? PausedUntil(DateTimeOffset now)
    {
        var ticks = Interlocked.Read(ref _pausedUntilTicks);
        return ticks > now.UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
    }

    /// <summary>Pauses new calls until <paramref name="until"/>; a pause already running longer stands.</summary>
    public void Pause(DateTimeOffset until, string reason)
    {
        var ticks = until.UtcTicks;
        var current = Interlocked.Read(ref _pausedUntilTicks);
        while (ticks > current)
        {
            var seen = Interlocked.CompareExchange(ref _pausedUntilTicks, ticks, current);
            if (seen == current)
            {
                LogPaused(until, reason);
                return;
            }

            current = seen;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wren is rate-limiting ({Reason}): no new Wren call starts before {Until}")]
    private partial void LogPaused(DateTimeOffset until, string reason);
}
