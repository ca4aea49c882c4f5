namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// The one path by which a step of a fulfilment starts, inside a transaction that sees any committed refund (the
/// worker's claim of due fulfilments, and the processor's own after a lookup by note found nothing): a plain attempt
/// begins (Attempting, committed before the POST) unless the payment was refunded, in which case it is cancelled and
/// no POST is ever sent; one that must first be recovered or looked up is only leased.
/// </summary>
public static partial class AttemptStart
{
    /// <param name="lookedUp">The step's lookup by note found nothing just now: an unknown outcome no longer holds it back.</param>
    public static StepStart Claim(OffsetFulfillment fulfillment, string owner, bool dryRun, DateTimeOffset now, DateTimeOffset leaseUntil,
        bool lookedUp = false)
    {
        if (!fulfillment.IsDue(now) || (fulfillment.MustLookUpFirst(dryRun) && !lookedUp))
        {
            // Interrupted (Attempting) or an unknown outcome: the processor recovers or looks up first.
            fulfillment.TakeLease(owner, leaseUntil);
            return StepStart.Leased;
        }

        if (!fulfillment.BeginAttemptUnlessRefunded(dryRun, now, leaseUntil))
        {
            return StepStart.Cancelled;
        }

        fulfillment.TakeLease(owner, leaseUntil);
        return StepStart.Begun;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset order for {OrderId} cancelled after {Attempts} attempt(s) that created nothing: the payment was refunded")]
    public static partial void LogCancelled(ILogger logger, Guid orderId, int attempts);
}

public enum StepStart
{
    /// <summary>Leased only: an interrupted attempt to recover or an unknown outcome to look up comes first.</summary>
    Leased,

    /// <summary>Attempting, with the lease renewed for the POST.</summary>
    Begun,

    /// <summary>The payment was refunded: cancelled, never posted.</summary>
    Cancelled,
}
