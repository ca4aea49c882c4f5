using PuffinOffset.Api.Configuration;

namespace PuffinOffset.Api.Recovery;

/// <summary>When a paid order's PaymentCompleted is sent again: first after the configured delay, then doubling, at most 6 h apart.</summary>
public static class ResendSchedule
{
    /// <summary>The wait after resend number <paramref name="resends"/> (1 for the first) before the next.</summary>
    public static TimeSpan DelayAfter(int resends, TimeSpan first)
    {
        var delay = first * Math.Pow(2, Math.Min(resends, 20));
        return delay < OrderRecoveryOptions.MaxResendDelay ? delay : OrderRecoveryOptions.MaxResendDelay;
    }
}
