using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// One step of one order's fulfilment, in its own scope, on what the worker's claim committed. A plain new
/// attempt arrives already Attempting (the claim's commit) and goes straight to the POST; an unknown outcome is
/// looked up first and an interrupted attempt recovered, as below. Every state change is committed before the
/// next Wren call, and no transaction is open while Wren is called; outcomes commit in groups
/// (<see cref="FulfillmentOutcomeWriter"/>). It works only on a fulfilment whose
/// lease this replica holds; every write checks the row's version, so a replica whose lease ran out and
/// was taken over can neither start a POST nor record an outcome.
/// </summary>
public sealed partial class FulfillmentProcessor(
    FulfillmentDbContext db,
    WrenClient wren,
    IOptions<WrenOptions> wrenOptions,
    IOptions<FulfillmentOptions> options,
    FulfillmentTelemetry telemetry,
    FulfillmentReplica replica,
    WrenRateLimit rateLimit,
    FulfillmentOutcomeWriter outcomes,
    LostLeaseOrders lostLeaseOrders,
    RefundCheck refundCheck,
    TimeProvider time,
    ILogger<FulfillmentProcessor> logger)
{
    private readonly RetryPolicy _retryPolicy = options.Value.RetryPolicy;

    public async Task ProcessAsync(ClaimedFulfillment claim, CancellationToken cancellationToken)
    {
        // As the claim committed it: tracked from here, so that the outcome writes exactly what this step changed.
        var fulfillment = claim.Fulfillment;
        db.Attach(fulfillment);
        using var activity = FulfillmentTelemetry.StartProcessing(fulfillment.OrderId, fulfillment.TraceParent, fulfillment.TraceState);
        var dryRun = wrenOptions.Value.DryRun;
        if (claim.AttemptBegun)
        {
            // The claim's own commit checked the refund and made it Attempting (renewing the lease for the POST).
            await AttemptAsync(fulfillment, dryRun, claim.RefundAnswerAsOf, cancellationToken);
            return;
        }

        var orderId = fulfillment.OrderId;
        if (!fulfillment.IsHeldBy(replica.Id, time.GetUtcNow()))
        {
            LogNotHeld(orderId);
            return;
        }

        var recovered = false;
        if (fulfillment.State == FulfillmentState.Attempting)
        {
            // The worker only hands over Attempting rows nobody is working on: a process (or replica, or
            // attempt) stopped between committing Attempting and recording the outcome. Its POST may still
            // be running at Wren until its timeout, so the lookup waits for that timeout plus the settle time.
            LogInterrupted(orderId, fulfillment.Attempts);
            fulfillment.RecoverInterruptedAttempt(_retryPolicy, time.GetUtcNow());
            recovered = true;
        }

        if (!fulfillment.IsDue(time.GetUtcNow()))
        {
            fulfillment.ReleaseLease();
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        if (recovered)
        {
            await db.SaveChangesAsync(cancellationToken);
        }

        if (fulfillment.MustLookUpFirst(dryRun) && !await ResolveUnknownOutcomeAsync(fulfillment, cancellationToken))
        {
            return;
        }

        var (begun, refundAnswerAsOf) = await ClaimAttemptAsync(fulfillment, dryRun, cancellationToken);
        if (!begun)
        {
            return;
        }

        await AttemptAsync(fulfillment, dryRun, refundAnswerAsOf, cancellationToken);
    }

    /// <summary>
    /// The POST, for a fulfilment whose Attempting is committed, behind the fence (<see cref="StillHoldsLeaseAsync"/>) and
    /// the refund check before the POST (<see cref="ConfirmedNotRefundedAsync"/>); its answer decides the outcome.
    /// </summary>
    /// <param name="refundAnswerAsOf">When the Api's "not refunded" that let the attempt begin was asked (null: not asked).</param>
    private async Task AttemptAsync(OffsetFulfillment fulfillment, bool dryRun, DateTimeOffset? refundAnswerAsOf, CancellationToken cancellationToken)
    {
        if (!await ConfirmedNotRefundedAsync(fulfillment, dryRun, refundAnswerAsOf, cancellationToken))
        {
            return;
        }

        fulfillment.PostLeaves(time.GetUtcNow());
        var result = await wren.PlaceOrderAsync(new WrenOrderRequest(fulfillment.Tons, fulfillment.PortfolioId, fulfillment.Note, dryRun), cancellationToken);
        // A request Wren answered: counted whatever becomes of the outcome's commit.
        telemetry.Attempt(result.Outcome);
        var now = time.GetUtcNow();
        switch (result)
        {
            case WrenPlaceResult.Created created:
                fulfillment.MarkPlaced(created.WrenOrderId, created.AmountCharged, now);
                break;
            case WrenPlaceResult.Rejected rejected:
                fulfillment.MarkRejected(rejected.Reason, now);
                break;
            case WrenPlaceResult.NotCreated notCreated:
                var notBefore = RetryAfter(notCreated.RateLimit, fulfillment.OrderId, now);
                fulfillment.RecordTransientFailure(notCreated.Error, outcomeUnknown: false, _retryPolicy, now, notBefore);
                PauseIfRateLimited(notCreated.RateLimit, notBefore, fulfillment, now);
                break;
            case WrenPlaceResult.Unknown unknown:
                fulfillment.RecordTransientFailure(unknown.Error, outcomeUnknown: !dryRun, _retryPolicy, now);
                break;
        }

        await SaveOutcomeAsync(fulfillment);
    }

    /// <summary>
    /// Nothing bounds the time from the claim (or its refund check) to the POST: under load, scheduling, the claim's commit
    /// and the fence can take many seconds, and a refund the Api accepted meanwhile would go unseen. So, after the fence,
    /// a POST whose last "not refunded" (or, unasked, whose payment) is <see cref="FulfillmentOptions.RefundCheckAfter"/> old
    /// asks the Api again, and the age is tested again after the answer (behind a new fence), so that the POST leaves
    /// within RefundCheckAfter of a "not refunded" (docs/fulfillment.md, "The refund check"). Refunded or no answer: the
    /// unsent attempt ends as at a claim (<see cref="AttemptStart.ConfirmBeforePost"/>), committed through the outcome
    /// writer on the version the claim committed, so only the lease's holder can. False: no POST.
    /// </summary>
    private async Task<bool> ConfirmedNotRefundedAsync(OffsetFulfillment fulfillment, bool dryRun, DateTimeOffset? answeredAsOf,
        CancellationToken cancellationToken)
    {
        var zero = options.Value.RefundCheckAfter == TimeSpan.Zero;
        var questions = 0;
        while (true)
        {
            // A POST held up past PostStartSlack since the start its attempt committed commits a new start at its fence,
            // so that a replica finding the attempt interrupted waits for a POST that left that late (RetryPolicy). A stall
            // after the fence is what no fence stops (see StillHoldsLeaseAsync).
            var late = fulfillment.PostIsLate(time.GetUtcNow());
            if (!await StillHoldsLeaseAsync(fulfillment, late, cancellationToken))
            {
                return false;
            }

            var now = time.GetUtcNow();
            // With RefundCheckAfter zero no answer is ever young enough: one question right before the POST is the check.
            if (!refundCheck.MustAsk(fulfillment, now, answeredAsOf) || (zero && questions > 0))
            {
                return true;
            }

            RefundVerdict verdict;
            if (questions < MaxRefundQuestionsBeforePost)
            {
                questions++;
                verdict = await refundCheck.AskBeforePostAsync(fulfillment, now - (answeredAsOf ?? fulfillment.PaymentTime), now, cancellationToken);
            }
            else
            {
                // Each answer was already RefundCheckAfter old when it arrived: as good as none.
                LogRefundAnswersTooSlow(fulfillment.OrderId, questions);
                verdict = RefundVerdict.Unavailable;
            }

            if (verdict.Outcome == RefundCheckOutcome.NotRefunded)
            {
                // Nothing to commit: counted as it arrives.
                refundCheck.Count(verdict);
                answeredAsOf = verdict.AsOf;
                continue;
            }

            var at = time.GetUtcNow();
            AttemptStart.ConfirmBeforePost(fulfillment, replica.Id, dryRun, verdict, at, at + options.Value.LeaseDuration, _retryPolicy);
            await SaveOutcomeAsync(fulfillment);
            refundCheck.LogApplied(fulfillment.OrderId, verdict, fulfillment);
            return false;
        }
    }

    /// <summary>Questions to the Api before one POST: more means its answers arrive older than RefundCheckAfter.</summary>
    private const int MaxRefundQuestionsBeforePost = 3;

    /// <summary>
    /// The fence, read from the database immediately before the POST: the row is still as this step committed it
    /// (its version: no other replica has claimed it since), still Attempting, still leased to this replica, and
    /// the lease outlasts a whole Wren call. Otherwise the POST is not sent: a replica that stalled (VM pause, GC,
    /// SIGSTOP) past its lease leaves the row to whoever holds it now, or to the next claim, which treats it as an
    /// unknown outcome and looks it up first. What the fence cannot stop is a stall after this read and before the
    /// request leaves: that second Wren order is recorded when its outcome fails to commit (<see cref="LostLeaseOrders"/>).
    /// </summary>
    /// <param name="recordStart">The POST is late (<see cref="OffsetFulfillment.PostIsLate"/>): the fence is a write that
    /// commits now as the attempt's start, under the same conditions.</param>
    private async Task<bool> StillHoldsLeaseAsync(OffsetFulfillment fulfillment, bool recordStart, CancellationToken cancellationToken)
    {
        var (orderId, version, owner) = (fulfillment.OrderId, fulfillment.Version, replica.Id);
        var now = time.GetUtcNow();
        var mustLastUntil = now + options.Value.WrenTimeout;
        var fence = db.Fulfillments.AsNoTracking()
            .TagWith(FenceQueryTag)
            .Where(f => f.OrderId == orderId && f.Version == version && f.State == FulfillmentState.Attempting)
            .Where(FulfillmentLease.HeldBy(owner, mustLastUntil));
        bool held;
        if (recordStart)
        {
            held = await fence.ExecuteUpdateAsync(set => set.SetProperty(f => f.AttemptStartedAt, now), cancellationToken) == 1;
            if (held)
            {
                fulfillment.PostLeaves(now);
            }
        }
        else
        {
            held = await fence.AnyAsync(cancellationToken);
        }

        if (!held)
        {
            LogFenced(orderId);
        }

        return held;
    }

    /// <summary>Names the fence's read in the SQL it sends (and lets a test stall a replica right before or after it).</summary>
    public const string FenceQueryTag = "puffin:lease-fence";

    /// <summary>
    /// After a lookup found nothing (a plain attempt is begun by the worker's claim instead, through the same
    /// <see cref="AttemptStart"/>): checks for a refund and commits Attempting in one write transaction (docs/architecture.md, "Write
    /// transactions"), so an <see cref="OrderRefundedConsumer"/> commits either
    /// before (and the fulfilment is cancelled here) or after (and it sees Attempting and leaves it): never a
    /// POST after a refund. The reload also proves the lease is still ours, and Attempting renews it for the POST.
    /// </summary>
    private async Task<(bool Begun, DateTimeOffset? RefundAnswerAsOf)> ClaimAttemptAsync(OffsetFulfillment fulfillment, bool dryRun,
        CancellationToken cancellationToken)
    {
        // Before the transaction: no lock is held while the Api is asked.
        var refunds = await refundCheck.AskAsync([fulfillment], time.GetUtcNow(), cancellationToken);
        RefundVerdict? verdict = refunds.TryGetValue(fulfillment.OrderId, out var answer) ? answer : null;
        await using var transaction = await db.BeginWriteTransactionAsync(cancellationToken);
        await db.Entry(fulfillment).ReloadAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (!fulfillment.IsDue(now))
        {
            return (false, null);
        }

        if (!fulfillment.IsHeldBy(replica.Id, now))
        {
            LogNotHeld(fulfillment.OrderId);
            return (false, null);
        }

        var start = AttemptStart.Claim(fulfillment, replica.Id, dryRun, now, now + options.Value.LeaseDuration, lookedUp: true, verdict, _retryPolicy);
        if (start == StepStart.Postponed)
        {
            // Failed at the horizon: its outcome goes to the Api in the same commit.
            fulfillment.EnqueueOutcome(db, now);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (start == StepStart.Cancelled)
        {
            AttemptStart.LogCancelled(logger, fulfillment.OrderId, fulfillment.Attempts);
        }

        if (verdict is { } asked)
        {
            refundCheck.LogApplied(fulfillment.OrderId, asked, fulfillment);
        }

        return (start == StepStart.Begun, verdict?.AsOf);
    }

    /// <summary>
    /// Looks the order up by its note before any new POST. Returns true when nothing was found and a
    /// new attempt may be made; otherwise the outcome (placed, or retry the lookup later) is saved.
    /// </summary>
    private async Task<bool> ResolveUnknownOutcomeAsync(OffsetFulfillment fulfillment, CancellationToken cancellationToken)
    {
        var lookup = await wren.FindOrderByNoteAsync(fulfillment.Note, cancellationToken);
        var now = time.GetUtcNow();
        switch (lookup)
        {
            case WrenLookupResult.Found found:
                LogFoundByNote(fulfillment.OrderId, found.WrenOrderId);
                // The list does not carry the amount: the placed message reports 0 cents charged.
                fulfillment.MarkPlaced(found.WrenOrderId, amountCharged: null, now, found.AllIds);
                await SaveOutcomeAsync(fulfillment);
                if (found.AllIds.Count > 1)
                {
                    // Oldest first: the first is the order, the later ones are what to refund. Counted once committed.
                    telemetry.DuplicateOrdersDetected(found.AllIds.Count - 1);
                    LogDuplicates(fulfillment.OrderId, found.AllIds.Count, found.WrenOrderId, string.Join(", ", found.Duplicates));
                }

                return false;
            case WrenLookupResult.NotFound:
                LogNotFoundByNote(fulfillment.OrderId);
                return true;
            case WrenLookupResult.Failed failed:
                var notBefore = RetryAfter(failed.RateLimit, fulfillment.OrderId, now);
                fulfillment.RecordTransientFailure(failed.Error, outcomeUnknown: true, _retryPolicy, now, notBefore);
                PauseIfRateLimited(failed.RateLimit, notBefore, fulfillment, now);
                break;
        }

        await SaveOutcomeAsync(fulfillment);
        return false;
    }

    /// <summary>
    /// A 429 pauses every new Wren call of this process (see <see cref="WrenRateLimit"/>): until Wren's
    /// Retry-After (as capped by <see cref="RetryAfter"/>), or, when it named none, until this order's own next try.
    /// </summary>
    private void PauseIfRateLimited(WrenRateLimited? limit, DateTimeOffset? retryAfter, OffsetFulfillment fulfillment, DateTimeOffset now)
    {
        if (limit is null)
        {
            return;
        }

        var until = retryAfter ?? now + _retryPolicy.DelayBeforeRetry(fulfillment.TransientFailures);
        rateLimit.Pause(until, fulfillment.LastError ?? "429");
    }

    /// <summary>
    /// The moment a 429's Retry-After names, never further than <c>WREN_MAX_RETRY_AFTER</c>: one answer (from a CDN
    /// in front of Wren, say) must not stop every Wren call of the process for a day, nor push the order past its
    /// retry horizon. A longer one is logged and counted, and the order keeps its normal schedule.
    /// </summary>
    private DateTimeOffset? RetryAfter(WrenRateLimited? limit, Guid orderId, DateTimeOffset now)
    {
        if (limit?.Until(now) is not { } until)
        {
            return null;
        }

        var max = wrenOptions.Value.MaxRetryAfter;
        if (until - now <= max)
        {
            return until;
        }

        telemetry.RetryAfterCapped();
        LogRetryAfterCapped(orderId, until - now, max);
        return now + max;
    }

    /// <summary>
    /// The outcome, its message and the lease handed back commit together, grouped with the outcomes of other
    /// orders by the <see cref="FulfillmentOutcomeWriter"/> (one transaction, one fsync). Not cancelled by a
    /// shutdown: an answer Wren gave is recorded if it can be. Logged and counted only once it is durable.
    /// </summary>
    private async Task SaveOutcomeAsync(OffsetFulfillment fulfillment)
    {
        fulfillment.ReleaseLease();
        try
        {
            // The row as this step last committed it: the writer's update is the difference, checked against its version.
            await outcomes.CommitAsync(fulfillment, db.Entry(fulfillment).OriginalValues.Clone());
        }
        catch (DbUpdateConcurrencyException) when (fulfillment is { State: FulfillmentState.Placed, WrenOrderId: { } wrenOrderId })
        {
            // The lease was taken over while Wren worked (or this replica stalled after its fence): the order it
            // created exists all the same and is recorded, so that a second one is reported, not lost.
            IReadOnlyList<string> ids = fulfillment.MatchingWrenOrderIds.Count > 0 ? fulfillment.MatchingWrenOrderIds : [wrenOrderId];
            await lostLeaseOrders.RecordAsync(fulfillment.OrderId, ids, fulfillment.AmountCharged);
            throw;
        }

        var now = time.GetUtcNow();

        switch (fulfillment.State)
        {
            case FulfillmentState.Placed:
                telemetry.Placed(fulfillment.DryRun, now - fulfillment.PaidAt);
                LogPlaced(fulfillment.OrderId, fulfillment.WrenOrderId, fulfillment.DryRun, fulfillment.Attempts);
                break;
            case FulfillmentState.Cancelled:
                AttemptStart.LogCancelled(logger, fulfillment.OrderId, fulfillment.Attempts);
                break;
            case FulfillmentState.Failed:
                telemetry.Failed(fulfillment.TransientFailures > 0 ? "retries_exhausted" : "rejected");
                LogFailed(fulfillment.OrderId, fulfillment.Attempts, fulfillment.LastError);
                break;
            default:
                LogRetryScheduled(fulfillment.OrderId, fulfillment.NextAttemptAt, fulfillment.OutcomeUnknown, fulfillment.LastError);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fulfilment of order {OrderId} is no longer held by this replica with a Wren timeout to spare (its lease ran out or was taken over) right before its POST: not posting, leaving it to the holder or the next claim")]
    private partial void LogFenced(Guid orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId}: the Api's answer was RefundCheckAfter old on arrival {Questions} time(s) running; not posting on it, the purchase waits for the retry schedule")]
    private partial void LogRefundAnswersTooSlow(Guid orderId, int questions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wren asked for a pause of {RetryAfter} on order {OrderId}, beyond WREN_MAX_RETRY_AFTER ({MaxRetryAfter}): pausing {MaxRetryAfter} only")]
    private partial void LogRetryAfterCapped(Guid orderId, TimeSpan retryAfter, TimeSpan maxRetryAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fulfilment of order {OrderId} is not held by this replica (its lease ran out or was taken over); leaving it alone")]
    private partial void LogNotHeld(Guid orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offset order for {OrderId}: attempt {Attempt} was interrupted; its outcome is unknown and will be looked up by note")]
    private partial void LogInterrupted(Guid orderId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset order for {OrderId} found at Wren by its note as {WrenOrderId}; not posting again")]
    private partial void LogFoundByNote(Guid orderId, string wrenOrderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset order for {OrderId} not found at Wren by its note; a new attempt is safe")]
    private partial void LogNotFoundByNote(Guid orderId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Wren holds {Matches} offset orders with the note of order {OrderId}: kept the oldest, {WrenOrderId}; refund {Duplicates}")]
    private partial void LogDuplicates(Guid orderId, int matches, string wrenOrderId, string duplicates);

    [LoggerMessage(Level = LogLevel.Information, Message = "Offset order for {OrderId} placed as {WrenOrderId} (dry run {DryRun}) after {Attempts} attempt(s)")]
    private partial void LogPlaced(Guid orderId, string? wrenOrderId, bool dryRun, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Offset order for {OrderId} failed after {Attempts} attempt(s): {Reason}")]
    private partial void LogFailed(Guid orderId, int attempts, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Offset order for {OrderId} will be retried at {NextAttemptAt} (outcome unknown {OutcomeUnknown}): {Error}")]
    private partial void LogRetryScheduled(Guid orderId, DateTimeOffset nextAttemptAt, bool outcomeUnknown, string? error);
}
