namespace PuffinOffset.TestSupport;

/// <summary>Waits for a condition with a timeout; tests never sleep for a fixed time and hope.</summary>
public static class Eventually
{
    /// <summary>
    /// The bound when a test names none: generous, because CI runs three test processes on two cores (load average
    /// 30–60) and a condition that holds ends the wait at once; only a failing test waits it out.
    /// </summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null, string? because = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {limit}{(because is null ? "" : $": {because}")}. Last value: {last}");
            }

            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, string? because = null) =>
        ValueAsync(condition, ok => ok, timeout, because);

    public static Task TrueAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null) =>
        ValueAsync(() => Task.FromResult(condition()), ok => ok, timeout, because);
}
