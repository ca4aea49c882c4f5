namespace PuffinOffset.StripeSandbox;

/// <summary>
/// Stripe's API answering an error for a while: every Checkout Sessions call (creating one at checkout, reading one
/// during reconciliation) gets <c>status</c> until the outage ends. Unlike <see cref="FaultInjector"/>'s counted
/// faults, it strikes whoever calls during the window, which is what a soak with several replicas needs.
/// </summary>
public sealed class ApiOutage(TimeProvider time)
{
    private (DateTimeOffset Until, int Status)? _outage;
    private readonly Lock _lock = new();

    public void Begin(TimeSpan duration, int status)
    {
        lock (_lock)
        {
            _outage = (time.GetUtcNow() + duration, status);
        }
    }

    public void End()
    {
        lock (_lock)
        {
            _outage = null;
        }
    }

    /// <summary>The status to answer now, or null when the API is up.</summary>
    public int? StatusNow()
    {
        lock (_lock)
        {
            return _outage is { } outage && time.GetUtcNow() < outage.Until ? outage.Status : null;
        }
    }
}
