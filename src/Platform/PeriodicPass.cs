namespace PuffinOffset.Platform;

/// <summary>
/// The loop of the services' background jobs (resend, gauges, retention, error-queue counts): a pass at
/// once, then one per tick. A failed pass is logged and the next tick tries again: these jobs only catch
/// up on state the database or broker keeps, so nothing is lost while one fails.
/// </summary>
public static class PeriodicPass
{
    public static async Task RunEveryAsync(TimeSpan interval, TimeProvider time, Func<CancellationToken, Task> pass,
        Action<Exception> logFailure, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await pass(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logFailure(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
