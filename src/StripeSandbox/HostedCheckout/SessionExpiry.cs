namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>Expires abandoned sessions at their <c>expires_at</c> (24 h after creation unless the Api set it).</summary>
public sealed class SessionExpiry(HostedCheckoutSessions checkout, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                checkout.ExpireDue(time.GetUtcNow());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}
