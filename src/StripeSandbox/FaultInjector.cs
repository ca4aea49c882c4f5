namespace PuffinOffset.StripeSandbox;

/// <summary>A planned failure: answer <see cref="Status"/> (if set) after <see cref="Delay"/> (if set).</summary>
public sealed record Fault(int? Status, TimeSpan? Delay);

/// <summary>Makes the next requests fail or stall, so tests can prove the Api's handling of an unwell Stripe.</summary>
public sealed class FaultInjector
{
    private readonly Queue<Fault> _planned = new();
    private readonly Lock _lock = new();

    public void FailNext(int count, int status) => Plan(count, new Fault(status, null));


    public void Plan(int count, Fault fault)
    {
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                _planned.Enqueue(fault);
            }
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _planned.Clear();
        }
    }

    public Fault? Next()
    {
        lock (_lock)
        {
            return _planned.TryDequeue(out var fault) ? fault : null;
        }
    }
}
