using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// The purchase of one paid order's offset from Wren, and the only place its state changes.
/// Scheduled → Attempting (committed before the POST) → Placed | Failed; Attempting → Scheduled after a
/// transient failure, with <see cref="OutcomeUnknown"/> saying whether Wren might have created the order,
/// in which case the next attempt first looks it up by <see cref="Note"/> instead of posting again.
/// Scheduled → Cancelled once the payment is known to be refunded (<see cref="RefundedAt"/>): no POST after that.
/// </summary>
public sealed class OffsetFulfillment
{
    public Guid OrderId { get; private set; }
    public FulfillmentState State { get; private set; }
    public decimal Tons { get; private set; }
    public int PortfolioId { get; private set; }
    public long AmountTotal { get; private set; }
    public DateTimeOffset PaidAt { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public DateTimeOffset NextAttemptAt { get; private set; }
    /// <summary>POSTs sent to Wren (dry runs included).</summary>
    public int Attempts { get; private set; }
    /// <summary>Transient failures so far; picks the next delay of the retry schedule.</summary>
    public int TransientFailures { get; private set; }
    public DateTimeOffset? FirstAttemptAt { get; private set; }
    public DateTimeOffset? AttemptStartedAt { get; private set; }
    /// <summary>True when an earlier POST may have created the order at Wren.</summary>
    public bool OutcomeUnknown { get; private set; }
    /// <summary>Safe to show an operator: our wording, never Wren's error text.</summary>
    public string? LastError { get; private set; }

    /// <summary>
    /// A POST's answer was lost (timeout, dropped connection, interrupted attempt): Wren may still store that order
    /// after our lookup by note missed it, since nothing bounds how long Wren works on a request we gave up on. Once
    /// the fulfilment has an outcome, the note is looked up once more (<see cref="LateWrenOrderCheck"/>) so that such
    /// a late order is reported (a duplicate, or an offset bought after all), never left unnoticed.
    /// </summary>
    public bool LateOrderCheckPending { get; private set; }

    public string? WrenOrderId { get; private set; }
    /// <summary>
    /// Every Wren order found with this order's note when there was more than one (oldest first, the first
    /// being <see cref="WrenOrderId"/>); empty normally. More than one is a duplicate an operator must refund.
    /// </summary>
    public List<string> MatchingWrenOrderIds { get; private set; } = [];
    public bool DryRun { get; private set; }
    public long? AmountCharged { get; private set; }
    public DateTimeOffset? PlacedAt { get; private set; }
    public DateTimeOffset? FailedAt { get; private set; }
    /// <summary>When Stripe refunded the payment (from <see cref="OrderRefunded"/>); no POST is sent once it is set.</summary>
    public DateTimeOffset? RefundedAt { get; private set; }
    public DateTimeOffset? CancelledAt { get; private set; }
    /// <summary>The operator's replay request (<see cref="FulfillmentReplayRequested.RequestId"/>) last honoured; the Api resends it until an outcome arrives.</summary>
    public Guid? ReplayRequestId { get; private set; }

    /// <summary>
    /// Scheduled from a backlog: its first attempt waits until the refund queue has been seen drained after
    /// <see cref="CreatedAt"/> (<see cref="RefundBacklog"/>), so a refund queued beside the payment wins. Cleared by the first attempt.
    /// </summary>
    public bool AwaitsRefundBacklog { get; private set; }

    /// <summary>W3C trace context of the consumer that scheduled it, so the Wren call joins the payment's trace.</summary>
    public string? TraceParent { get; private set; }
    public string? TraceState { get; private set; }

    /// <summary>Optimistic concurrency token: a second worker that raced for the same row fails to save.</summary>
    public int Version { get; private set; }

    /// <summary>
    /// The replica (worker process) working on it, until <see cref="LeaseExpiresAt"/>. Several Fulfillment
    /// replicas share one PostgreSQL database: a replica only works on a fulfilment whose lease it holds,
    /// and a lease that ran out (the holder died or stalled) may be taken by another replica.
    /// </summary>
    public string? LeaseOwner { get; private set; }
    public DateTimeOffset? LeaseExpiresAt { get; private set; }

    public string Note => NoteFor(OrderId);

    public static string NoteFor(Guid orderId) => $"puffin-offset order {orderId}";

    private OffsetFulfillment() { }

    /// <param name="backlogGrace">Set when the payment was consumed from a backlog: the least wait before its first attempt.</param>
    /// <param name="lookUpFirst">The order predates a restore of this database (<see cref="Restore.RestorePoint"/>): Wren may hold it already.</param>
    public static OffsetFulfillment Schedule(PaymentCompleted payment, DateTimeOffset now, string? traceParent, string? traceState,
        TimeSpan? backlogGrace = null, bool lookUpFirst = false) => new()
    {
        OrderId = payment.OrderId,
        State = FulfillmentState.Scheduled,
        Tons = payment.Tons,
        PortfolioId = payment.PortfolioId,
        AmountTotal = payment.AmountTotal,
        PaidAt = payment.PaidAt,
        CreatedAt = now,
        UpdatedAt = now,
        NextAttemptAt = now + (backlogGrace ?? TimeSpan.Zero),
        AwaitsRefundBacklog = backlogGrace is not null,
        OutcomeUnknown = lookUpFirst,
        LastError = lookUpFirst ? BoughtBeforeRestore : null,
        TraceParent = traceParent,
        TraceState = traceState,
    };

    private const string BoughtBeforeRestore =
        "The order predates a restore of Fulfillment's database: it may have been bought since the backup, so it is looked up by note before any POST.";

    /// <summary>
    /// Found waiting for a POST in a database just restored from a backup (the <c>restored</c> command): the
    /// database that was lost may have bought it since the backup, so it is looked up by note before any POST, as an
    /// unknown outcome is. Returns true when that changed anything (an unknown outcome is looked up already).
    /// </summary>
    public bool LookUpFirstAfterRestore(DateTimeOffset now)
    {
        if (State != FulfillmentState.Scheduled || OutcomeUnknown)
        {
            return false;
        }

        OutcomeUnknown = true;
        LastError = BoughtBeforeRestore;
        Touch(now);
        return true;
    }

    /// <summary>
    /// Taken by the worker under FOR UPDATE SKIP LOCKED. Bumps <see cref="Version"/>, so a former holder
    /// whose lease ran out can no longer save anything (its next write fails the concurrency check).
    /// </summary>
    public void TakeLease(string owner, DateTimeOffset until)
    {
        LeaseOwner = owner;
        LeaseExpiresAt = until;
        Version++;
    }

    public bool IsHeldBy(string owner, DateTimeOffset now) => FulfillmentLease.IsHeldBy(this, owner, now);

    /// <summary>
    /// Handed back at a graceful stop, once no step of this replica works on it: free at once rather than when the lease
    /// runs out, and, like a lease taken, a new version, so no copy of it held anywhere can still be saved.
    /// </summary>
    public void HandBackLease()
    {
        ReleaseLease();
        Version++;
    }

    /// <summary>The step is over (its state committed with this): any replica may take it when it is due.</summary>
    public void ReleaseLease()
    {
        LeaseOwner = null;
        LeaseExpiresAt = null;
    }

    /// <summary>
    /// The refund arrived before the payment (the two messages travel on different queues): the row is recorded
    /// already cancelled, so the <see cref="PaymentCompleted"/> that follows finds it and schedules nothing.
    /// </summary>
    public static OffsetFulfillment CancelledBeforePayment(OrderRefunded refund, DateTimeOffset now) => new()
    {
        OrderId = refund.OrderId,
        State = FulfillmentState.Cancelled,
        PaidAt = refund.RefundedAt,
        CreatedAt = now,
        UpdatedAt = now,
        NextAttemptAt = now,
        RefundedAt = refund.RefundedAt,
        CancelledAt = now,
        LastError = "The payment was refunded before it was confirmed here; no offset is bought.",
    };

    /// <summary>
    /// Stripe refunded the payment. A fulfilment waiting for its first try is cancelled; one that may already
    /// have reached Wren (an attempt in flight, an unknown outcome still to look up, placed, failed) only records
    /// it: its next step checks <see cref="RefundedAt"/> before any POST. Returns true when it was cancelled.
    /// </summary>
    public bool RecordRefund(DateTimeOffset refundedAt, DateTimeOffset now)
    {
        RefundedAt ??= refundedAt;
        if (State == FulfillmentState.Scheduled && !OutcomeUnknown)
        {
            Cancel(now);
            return true;
        }

        // Deliberately no Touch: the version stays, so an attempt in flight still records its outcome
        // instead of failing on the concurrency token (its next step then sees RefundedAt).
        return false;
    }

    /// <summary>From Scheduled only: the POST was never sent (or its unknown outcome was looked up and not found).</summary>
    public void Cancel(DateTimeOffset now)
    {
        Require(FulfillmentState.Scheduled);
        State = FulfillmentState.Cancelled;
        CancelledAt = now;
        LastError = "The payment was refunded before the offset was bought; it never will be.";
        Touch(now);
    }

    public bool IsDue(DateTimeOffset now) => State == FulfillmentState.Scheduled && NextAttemptAt <= now;

    /// <summary>
    /// An earlier POST may have created the order: it is looked up by note before any new one. Only a dry-run
    /// attempt on a dry-run instance creates nothing to look up: a live attempt (<see cref="DryRun"/> false, as
    /// <see cref="BeginAttempt"/> recorded it) is looked up even if the instance has since been switched to dry run.
    /// </summary>
    public bool MustLookUpFirst(bool dryRun) => OutcomeUnknown && !(dryRun && DryRun);

    /// <summary>
    /// Whether the Api must confirm there is no refund before this attempt begins, or its POST leaves
    /// (<see cref="Refunds.RefundCheck"/>): <paramref name="after"/> or longer has passed since the Api last said "not
    /// refunded" (<paramref name="answeredAsOf"/>) or, when it was not asked, since the payment (<see cref="PaymentTime"/>).
    /// </summary>
    public bool NeedsRefundCheck(DateTimeOffset now, TimeSpan after, DateTimeOffset? answeredAsOf = null) =>
        RefundedAt is null && now - (answeredAsOf ?? PaymentTime) >= after;

    /// <summary>
    /// The payment's time for the refund check: the earlier of the Api's <see cref="PaidAt"/> and when it was scheduled
    /// here (a clock ahead on either side then checks more, never less).
    /// </summary>
    public DateTimeOffset PaymentTime => PaidAt < CreatedAt ? PaidAt : CreatedAt;

    /// <summary>
    /// The Api could not confirm that the payment is not refunded: no POST now; tried again on the retry schedule,
    /// within the same horizon as a failing Wren (then failed, for an operator). Nothing was sent, so whether an
    /// earlier outcome is unknown stays as it was.
    /// </summary>
    public void PostponeForRefundCheck(RetryPolicy policy, DateTimeOffset now)
    {
        RecordTransientFailure(RefundCheckUnavailable, OutcomeUnknown, policy, now);
        ReleaseLease();
    }

    public const string RefundCheckUnavailable = "The Api could not be asked whether the payment was refunded; the purchase waits for its answer.";

    /// <summary>
    /// The last step before a POST, in the transaction that checks for a refund: Attempting, unless the payment
    /// was refunded (then Cancelled, and no POST ever). Returns true when the attempt began.
    /// </summary>
    public bool BeginAttemptUnlessRefunded(bool dryRun, DateTimeOffset now, DateTimeOffset leaseUntil)
    {
        if (RefundedAt is not null)
        {
            Cancel(now);
            return false;
        }

        BeginAttempt(dryRun, now, leaseUntil);
        return true;
    }

    /// <summary>
    /// Must be committed before the POST leaves the process. Renews the lease to <paramref name="leaseUntil"/>
    /// (the concurrency check of that commit proves it is still held), long enough for the POST's timeout.
    /// </summary>
    public void BeginAttempt(bool dryRun, DateTimeOffset now, DateTimeOffset? leaseUntil = null)
    {
        Require(FulfillmentState.Scheduled);
        LeaseExpiresAt = leaseUntil ?? LeaseExpiresAt;
        State = FulfillmentState.Attempting;
        AwaitsRefundBacklog = false;
        Attempts++;
        DryRun = dryRun;
        FirstAttemptAt ??= now;
        AttemptStartedAt = now;
        Touch(now);
    }

    /// <summary>
    /// The POST leaves now, perhaps seconds after the claim began the attempt (a refund check right before it, a loaded
    /// machine): a lost answer's lookup by note then waits from the moment Wren could first have received it.
    /// </summary>
    public void PostLeaves(DateTimeOffset now)
    {
        Require(FulfillmentState.Attempting);
        AttemptStartedAt = now;
    }

    /// <summary>Whether a POST leaving at <paramref name="now"/> must first commit a new start (<see cref="RetryPolicy.PostStartSlack"/>).</summary>
    public bool PostIsLate(DateTimeOffset now) => State == FulfillmentState.Attempting && now - AttemptStartedAt >= RetryPolicy.PostStartSlack;

    /// <summary>
    /// The attempt is given up before its POST left (the Api, asked again right before it, did not say "not refunded"):
    /// Scheduled again as the claim found it, nothing sent, so that the Api's verdict is applied as at a claim.
    /// </summary>
    public void WithdrawUnsentAttempt(DateTimeOffset now)
    {
        Require(FulfillmentState.Attempting);
        State = FulfillmentState.Scheduled;
        Attempts--;
        Touch(now);
    }

    /// <summary>Found in the Attempting state with nobody working on it: the process stopped mid-attempt.</summary>
    /// <remarks>
    /// A crash, or a shutdown that cancelled the POST: either way Wren may have the order, or be writing it
    /// still. The lookup waits until the POST can no longer be running (<see cref="RetryPolicy.EarliestLookup"/>).
    /// </remarks>
    public void RecoverInterruptedAttempt(RetryPolicy policy, DateTimeOffset now)
    {
        Require(FulfillmentState.Attempting);
        State = FulfillmentState.Scheduled;
        OutcomeUnknown = true;
        LateOrderCheckPending = true;
        LastError = "The previous attempt was interrupted before its outcome was recorded.";
        var settled = policy.EarliestLookupAfterInterruption(AttemptStartedAt ?? now);
        NextAttemptAt = settled > now ? settled : now;
        Touch(now);
    }

    /// <summary>From Attempting (Wren answered) or Scheduled (an unknown outcome resolved by the note lookup).</summary>
    /// <param name="matchingWrenOrderIds">All orders found by note, oldest (the placed one) first, when there were several.</param>
    public void MarkPlaced(string? wrenOrderId, long? amountCharged, DateTimeOffset now, IReadOnlyList<string>? matchingWrenOrderIds = null)
    {
        Require(FulfillmentState.Attempting, FulfillmentState.Scheduled);
        State = FulfillmentState.Placed;
        WrenOrderId = wrenOrderId;
        MatchingWrenOrderIds = matchingWrenOrderIds is { Count: > 1 } ? [.. matchingWrenOrderIds] : [];
        AmountCharged = amountCharged;
        OutcomeUnknown = false;
        LastError = null;
        PlacedAt = now;
        Touch(now);
    }

    /// <summary>
    /// Wren orders created by a step that had lost its lease (it stalled past it after its last check and another
    /// replica took the fulfilment over): they exist and are paid for, so they are recorded, never dropped. A
    /// fulfilment already placed keeps its order and lists these as further matches (duplicates to refund); one
    /// that has no order yet is placed with them (the holder's own outcome then fails on the version and comes
    /// here in turn). A failed or cancelled one keeps them listed for an operator. Returns the Wren orders newly
    /// known to be extra (the duplicates to count).
    /// </summary>
    public int RecordWrenOrdersOfLostLease(IReadOnlyList<string> wrenOrderIds, long? amountCharged, DateTimeOffset now)
    {
        if (State is FulfillmentState.Scheduled or FulfillmentState.Attempting)
        {
            MarkPlaced(wrenOrderIds[0], amountCharged, now, wrenOrderIds);
            ReleaseLease();
            return wrenOrderIds.Count - 1;
        }

        List<string> known = MatchingWrenOrderIds.Count > 0 ? [.. MatchingWrenOrderIds] : WrenOrderId is { } placed ? [placed] : [];
        var added = wrenOrderIds.Where(id => !known.Contains(id)).Distinct().ToList();
        if (added.Count == 0)
        {
            return 0;
        }

        MatchingWrenOrderIds = [.. known, .. added];
        Touch(now);
        return State == FulfillmentState.Placed ? added.Count : 0;
    }

    /// <summary>When the outcome that ends the wait for <see cref="LateOrderCheckPending"/> was recorded (null while there is none).</summary>
    public DateTimeOffset? OutcomeAt => State switch
    {
        FulfillmentState.Placed => PlacedAt,
        FulfillmentState.Cancelled => CancelledAt,
        FulfillmentState.Failed => FailedAt,
        _ => null,
    };

    /// <summary>
    /// The last lookup by note of a fulfilment whose POST's answer was lost (<see cref="LateOrderCheckPending"/>),
    /// made once it has an outcome: <paramref name="foundWrenOrderIds"/> every order Wren holds with our note, oldest
    /// first. Placed: orders beyond ours are duplicates, listed. Cancelled or failed: Wren stored the lost POST after
    /// all, so the offset was bought: placed with it (the Api then flags a refunded order, and a failed one becomes
    /// fulfilled). Returns the Wren orders newly known to be extra and whether the outcome must be sent to the Api again.
    /// </summary>
    public (int Extra, bool SendPlaced) RecordLateOrderCheck(IReadOnlyList<string> foundWrenOrderIds, DateTimeOffset now)
    {
        Require(FulfillmentState.Placed, FulfillmentState.Cancelled, FulfillmentState.Failed);
        LateOrderCheckPending = false;
        Touch(now);
        if (foundWrenOrderIds.Count == 0)
        {
            return (0, false);
        }

        if (State == FulfillmentState.Placed)
        {
            var extra = RecordWrenOrdersOfLostLease(foundWrenOrderIds, AmountCharged, now);
            return (extra, extra > 0);
        }

        State = FulfillmentState.Placed;
        WrenOrderId = foundWrenOrderIds[0];
        MatchingWrenOrderIds = foundWrenOrderIds.Count > 1 ? [.. foundWrenOrderIds] : [];
        AmountCharged = null;
        DryRun = false;
        OutcomeUnknown = false;
        LastError = null;
        PlacedAt = now;
        return (foundWrenOrderIds.Count - 1, true);
    }

    /// <summary>Wren refused the order for good: no retry.</summary>
    public void MarkRejected(string reason, DateTimeOffset now)
    {
        Require(FulfillmentState.Attempting);
        Fail(reason, now);
    }

    /// <summary>
    /// A transient failure: the POST (from Attempting) or the note lookup (from Scheduled) failed.
    /// Schedules the next try, or fails the fulfilment once the next try would fall past the horizon.
    /// <paramref name="notBefore"/> is a moment Wren named (a 429's <c>Retry-After</c>): the next try is never earlier.
    /// </summary>
    public void RecordTransientFailure(string error, bool outcomeUnknown, RetryPolicy policy, DateTimeOffset now, DateTimeOffset? notBefore = null)
    {
        Require(FulfillmentState.Attempting, FulfillmentState.Scheduled);
        // A POST of unknown outcome (a failed lookup from Scheduled changes nothing at Wren).
        LateOrderCheckPending |= outcomeUnknown && State == FulfillmentState.Attempting;
        TransientFailures++;
        OutcomeUnknown = outcomeUnknown;
        LastError = error;
        var next = policy.NextTry(TransientFailures, outcomeUnknown, AttemptStartedAt ?? now, now);
        if (notBefore > next)
        {
            next = notBefore.Value;
        }

        if (next > (FirstAttemptAt ?? CreatedAt) + policy.Horizon)
        {
            Fail(outcomeUnknown
                ? $"Retries exhausted after {Attempts} attempt(s) ({error}). The last attempt's outcome is unknown: look for the note '{Note}' in Wren's offset orders before replaying."
                : $"Retries exhausted after {Attempts} attempt(s) ({error}): check Wren's status and WREN_API_BASE, then replay.", now);
            return;
        }

        State = FulfillmentState.Scheduled;
        NextAttemptAt = next;
        Touch(now);
    }

    /// <summary>
    /// Operator replay of a failed fulfilment: due now, with a fresh retry budget. Whatever the last outcome
    /// was, Wren is asked first: an earlier attempt may have landed after all, or the operator may have
    /// bought the offset by hand with the order's note, and a second purchase must never follow.
    /// </summary>
    public void Replay(DateTimeOffset now, Guid? requestId = null)
    {
        Require(FulfillmentState.Failed);
        ReplayRequestId = requestId;
        State = FulfillmentState.Scheduled;
        OutcomeUnknown = true;
        TransientFailures = 0;
        FirstAttemptAt = null;
        FailedAt = null;
        NextAttemptAt = now;
        Touch(now);
    }

    /// <summary>
    /// This replay request was already honoured (the Api resent it because the outcome of the replay did not reach
    /// it): the outcome is answered again rather than the fulfilment replayed a second time.
    /// </summary>
    public bool HasReplayed(Guid? requestId) => requestId is not null && ReplayRequestId == requestId;

    /// <summary>
    /// The answer to <see cref="OrderRefunded"/> once the refund can change nothing more here (cancelled, placed or
    /// failed); null while an attempt or a lookup of an unknown outcome is still open, so the Api asks again later.
    /// </summary>
    public OrderRefundAcknowledged? ToRefundAcknowledgement(DateTimeOffset now) =>
        RefundedAt is not null && State is FulfillmentState.Cancelled or FulfillmentState.Placed or FulfillmentState.Failed
            ? new(OrderId, State == FulfillmentState.Cancelled, State.ToString(), now)
            : null;

    /// <summary>
    /// Queues the message of a final outcome (<see cref="OffsetOrderPlaced"/> or <see cref="OffsetOrderFailed"/>) in
    /// <paramref name="db"/>'s outbox: when the outcome is committed, and again, unchanged, whenever it is asked
    /// for again. False when there is no outcome yet.
    /// </summary>
    public bool EnqueueOutcome(MessagingDbContext db, DateTimeOffset now)
    {
        switch (State)
        {
            case FulfillmentState.Placed:
                db.Enqueue(ToPlacedMessage(), now);
                return true;
            case FulfillmentState.Failed:
                db.Enqueue(ToFailedMessage(), now);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The recorded outcome; sent again, unchanged, whenever the payment is announced again.</summary>
    public OffsetOrderPlaced ToPlacedMessage() =>
        new(OrderId, WrenOrderId, Tons, PortfolioId, AmountCharged ?? 0, DryRun, PlacedAt ?? UpdatedAt,
            MatchingWrenOrderIds.Count > 1 ? [.. MatchingWrenOrderIds.Where(id => id != WrenOrderId)] : null);

    public OffsetOrderFailed ToFailedMessage() =>
        new(OrderId, LastError ?? "Offset order failed.", Attempts, FailedAt ?? UpdatedAt);

    private void Fail(string reason, DateTimeOffset now)
    {
        State = FulfillmentState.Failed;
        LastError = reason;
        FailedAt = now;
        Touch(now);
    }

    private void Require(params FulfillmentState[] allowed)
    {
        if (!allowed.Contains(State))
        {
            throw new InvalidOperationException($"Fulfilment of order {OrderId} is {State}; expected {string.Join(" or ", allowed)}.");
        }
    }

    private void Touch(DateTimeOffset now)
    {
        UpdatedAt = now;
        Version++;
    }
}
