using System.Diagnostics;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// A group-commit writer applies each change in its caller's trace (the webhook request, the consumed delivery, the
/// fulfilment step), so that what the change writes (an outbox row, a log line) continues that trace, not the writer's.
/// </summary>
public static class CallerTrace
{
    public static async Task<T> RunAsync<T>(Activity? caller, Func<Task<T>> work)
    {
        var writer = Activity.Current;
        Activity.Current = caller;
        try
        {
            return await work();
        }
        finally
        {
            Activity.Current = writer;
        }
    }

    public static void Run(Activity? caller, Action work)
    {
        var writer = Activity.Current;
        Activity.Current = caller;
        try
        {
            work();
        }
        finally
        {
            Activity.Current = writer;
        }
    }
}
