using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Refunds;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// The one path by which a step of a fulfilment starts, inside a transaction that sees any committed refund (the
/// worker's claim of due fulfilments, and the processor's own after a lookup by note found nothing): a plain attempt
/// begins (Attempting, committed before the POST) unless the payment was refunded, in which case it is cancelled and
/// no POST is ever sent; one that must first be recovered or looked up is only leased. A delayed one is begun only on
/// the Api's word that the payment is not refunded (<see cref="RefundCheck"/>): refunded, it is recorded as
/// <see cref="OrderRefundedConsumer"/> records a refund; with no answer, it waits (postponed on the retry schedule). The
/// same verdicts, asked again right before a POST held up since its claim, end the attempt the same way
/// (<see cref="ConfirmBeforePost"/>).
/// </summary>
public static partial class AttemptStart
{
    /// <param name="lookedUp">The step's lookup by note found nothing just now: an unknown outcome no longer holds it back.</param>
    /// <param name="refundCheck">The Api's verdict, when the attempt needed one (null: it did not).</param>
    /// <param name="policy">The retry schedule a postponed attempt (no verdict from the Api) follows.</param>
    public static StepStart Claim(OffsetFulfillment fulfillment, string owner, bool dryRun, DateTimeOffset now, DateTimeOffset leaseUntil,
        bool lookedUp = false, RefundVerdict? refundCheck = null, RetryPolicy? policy = null)
    {
        if (!fulfillment.IsDue(now) || (fulfillment.MustLookUpFirst(dryRun) && !lookedUp))
        {
            // Interrupted (Attempting) or an unknown outcome: the processor recovers or looks up first.
            fulfillment.TakeLease(owner, leaseUntil);
            return StepStart.Leased;
        }

        switch (refundCheck?.Outcome)
        {
            case RefundCheckOutcome.Refunded:
                // As the OrderRefunded consumer records it; the OrderRefunded that follows is then answered as usual.
                if (fulfillment.RecordRefund(refundCheck.Value.RefundedAt ?? now, now))
                {
                    return StepStart.Cancelled;
                }

                break;
            case RefundCheckOutcome.Unavailable:
                fulfillment.PostponeForRefundCheck(policy ?? throw new ArgumentNullException(nameof(policy)), now);
                return StepStart.Postponed;
        }

        if (!fulfillment.BeginAttemptUnlessRefunded(dryRun, now, leaseUntil))
        {
            return StepStart.Cancelled;
        }

        fulfillment.TakeLease(owner, leaseUntil);
        return StepStart.Begun;
    }

    /// <summary>
    /// Right before the POST of a begun attempt, the Api asked again (<see cref="RefundCheck.AskBeforePostAsync"/>): "not
    /// refunded" lets the POST go (<see cref="StepStart.Begun"/>, nothing changed). Otherwise the attempt, never sent, is
    /// withdrawn and the verdict applied exactly as at a claim: refunded → <see cref="StepStart.Cancelled"/>; no answer →
    /// <see cref="StepStart.Postponed"/>. The caller commits it fenced on the version its claim committed.
    /// </summary>
    public static StepStart ConfirmBeforePost(OffsetFulfillment attempting, string owner, bool dryRun, RefundVerdict verdict, DateTimeOffset now,
        DateTimeOffset leaseUntil, RetryPolicy policy)
    {
        if (verdict.Outcome == RefundCheckOutcome.NotRefunded)
        {
            return StepStart.Begun;
        }

        attempting.WithdrawUnsentAttempt(now);
        // Due as the claim found it, and any unknown outcome was looked up before the attempt began.
        return Claim(attempting, owner, dryRun, now, leaseUntil, lookedUp: true, verdict, policy);
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

    /// <summary>The Api could not confirm there was no refund: still Scheduled (or failed at the horizon), not leased, never posted.</summary>
    Postponed,
}
