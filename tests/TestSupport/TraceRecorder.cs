using System.Collections.Concurrent;
using System.Diagnostics;

namespace PuffinOffset.TestSupport;

/// <summary>Records every activity of the process (both services run in it), as an exporter would see them.</summary>
public sealed class TraceRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _activities = new();

    public TraceRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Activities => [.. _activities];

    public void Dispose() => _listener.Dispose();
}
