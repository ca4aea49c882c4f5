namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// The system clock, moved forward or stopped by the test: a step held up (a scheduler, a GC, a slow commit) for exactly
/// as long as the test says, or not at all, however fast or loaded the machine is. Timers stay the system's.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private readonly Lock _lock = new();
    private TimeSpan _offset;
    private DateTimeOffset? _stoppedAt;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _stoppedAt ?? base.GetUtcNow() + _offset;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _offset += by;
            _stoppedAt += by;
        }
    }

    /// <summary>From now on the time does not pass unless <see cref="Advance"/>d.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stoppedAt = base.GetUtcNow() + _offset;
        }
    }
}
