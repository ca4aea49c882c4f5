namespace PuffinOffset.Api.Persistence;

/// <summary>
/// Lets one webhook transaction at a time ask SQLite for its single write lock. Without it, concurrent
/// deliveries wait in SQLite's busy handler, which sleeps in steps of up to 150 ms and is not fair, so
/// a burst turned into multi-second tail latencies; queuing here first keeps waits to the work itself.
/// </summary>
public sealed class WebhookWriteGate
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IDisposable> EnterAsync()
    {
        await _gate.WaitAsync();
        return new Exit(_gate);
    }

    private sealed class Exit(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
