using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// Runs due fulfilments: woken by the consumer, at the next due time, or by the poll. Different
/// orders run concurrently up to <see cref="FulfillmentOptions.MaxConcurrency"/> (<c>WREN_MAX_CONCURRENCY</c>),
/// each step on its own task, so that many Wren calls are in flight at once; an order already in
/// progress here is never picked up again. While Wren rate-limits (<see cref="WrenRateLimit"/>) nothing
/// new starts. Any number of replicas may share a PostgreSQL database: each claims due fulfilments with a
/// lease (owner, expiry) under FOR UPDATE SKIP LOCKED, so two replicas never claim the same one, and works
/// only on what it holds (see <see cref="FulfillmentProcessor"/>). The claim's commit also begins the attempt of
/// every plain new one (Attempting, the refund checked), so a burst of orders costs one commit before their POSTs; the
/// delayed ones among them are first confirmed with the Api, in one question (<see cref="RefundCheck"/>).
/// </summary>
public sealed partial class FulfillmentWorker(
    IServiceScopeFactory scopes,
    FulfillmentSignal signal,
    FulfillmentReplica replica,
    WrenRateLimit rateLimit,
    RefundBacklog refundBacklog,
    RefundCheck refundCheck,
    IOptions<FulfillmentOptions> options,
    IOptions<WrenOptions> wrenOptions,
    TimeProvider time,
    ILogger<FulfillmentWorker> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, Task> _inProgress = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = settings.PollInterval;
                try
                {
                    wait = await StartDueAsync(settings.MaxConcurrency, stoppingToken) is { } nextDue && nextDue < wait ? nextDue : wait;
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogPollFailed(ex);
                }

                await signal.WaitAsync(wait, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping ends the wait (or a claim) with a cancellation: what this replica holds is still handed
            // back below, so no other replica waits for them to run out.
        }

        await Task.WhenAll(_inProgress.Values);
        await ReleaseLeasesAsync();
    }

    /// <summary>Starts what is due and free; returns how long until the next scheduled fulfilment is due.</summary>
    private async Task<TimeSpan?> StartDueAsync(int maxConcurrency, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        if (rateLimit.PausedUntil(now) is { } pausedUntil)
        {
            // Wren is rate-limiting: start nothing (and claim nothing, so nothing turns Attempting) before it said to come back.
            return pausedUntil - now;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var busy = _inProgress.Keys.ToList();
        var free = maxConcurrency - busy.Count;
        var refundsDrainedAt = await RefundsDrainedAtAsync(db, now, stoppingToken);
        // A read first: SQLite's write lock (and PostgreSQL's row locks) are taken only when something is due; the
        // delayed purchases it found are confirmed with the Api before the claim.
        var candidates = free > 0
            ? await Claimable(db, busy, now, refundsDrainedAt).AsNoTracking().TagWith(DueQueryTag)
                .OrderBy(f => f.NextAttemptAt).Take(free).ToListAsync(stoppingToken)
            : [];
        if (candidates.Count > 0)
        {
            var dryRun = wrenOptions.Value.DryRun;
            // Outside any transaction: no lock is held while the Api is asked.
            var refunds = await refundCheck.AskAsync(candidates.Where(f => f.IsDue(now) && !f.MustLookUpFirst(dryRun)), now, stoppingToken);
            var (claimed, found) = await ClaimDueAsync(db, busy, free, refundsDrainedAt, refunds, stoppingToken);
            foreach (var claim in claimed)
            {
                Start(claim, stoppingToken);
            }

            if (found == free)
            {
                // Possibly more due: look again as soon as one finishes (Start signals on completion).
                return null;
            }
        }

        // Rows another replica holds are its business: waking for them would only spin on failed claims.
        var next = await db.Fulfillments.AsNoTracking()
            .Where(f => f.State == FulfillmentState.Scheduled && !busy.Contains(f.OrderId))
            .Where(FulfillmentLease.TakeableBy(replica.Id, now, anyHolderIsStale: db.Database.IsSqlite()))
            // Held for the refunds: looked at again at the next poll, not in a tight loop.
            .Where(f => !f.AwaitsRefundBacklog || f.CreatedAt < refundsDrainedAt)
            .OrderBy(f => f.NextAttemptAt)
            .Select(f => (DateTimeOffset?)f.NextAttemptAt)
            .FirstOrDefaultAsync(stoppingToken);
        return next is { } at ? (at - time.GetUtcNow()) is var delay && delay > TimeSpan.Zero ? delay : TimeSpan.FromMilliseconds(10) : null;
    }

    /// <summary>
    /// When the refund queue was last seen drained (<see cref="RefundBacklog"/>). The queue is looked at only while a
    /// payment consumed from a backlog is past its grace and still waits for it: a normal payment costs nothing here.
    /// The broker unreachable: the payments keep waiting, and the next poll looks again.
    /// </summary>
    private async Task<DateTimeOffset> RefundsDrainedAtAsync(FulfillmentDbContext db, DateTimeOffset now, CancellationToken stoppingToken)
    {
        var drainedAt = refundBacklog.DrainedSeenAt;
        var waiting = await db.Fulfillments.AsNoTracking()
            .AnyAsync(f => f.State == FulfillmentState.Scheduled && f.NextAttemptAt <= now && f.AwaitsRefundBacklog && f.CreatedAt >= drainedAt, stoppingToken);
        if (!waiting)
        {
            return drainedAt;
        }

        try
        {
            return await refundBacklog.CheckAsync(stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogRefundQueueCheckFailed(ex);
            return drainedAt;
        }
    }

    /// <summary>Names the worker's look for due fulfilments in the SQL it sends (and lets a test find the claim that follows).</summary>
    public const string DueQueryTag = "puffin:due-fulfilments";

    /// <summary>
    /// Due fulfilments this replica may claim. Attempting rows are claimable too: their holder stopped
    /// mid-attempt (crash, failed commit, lease run out), and the processor treats them as an unknown outcome.
    /// </summary>
    private IQueryable<OffsetFulfillment> Claimable(FulfillmentDbContext db, List<Guid> busy, DateTimeOffset now, DateTimeOffset refundsDrainedAt)
    {
        // With SQLite there is one process per database file: nothing of this process outside `busy` is being worked on.
        return db.Fulfillments
            .Where(f => (f.State == FulfillmentState.Scheduled && f.NextAttemptAt <= now) || f.State == FulfillmentState.Attempting)
            .Where(FulfillmentLease.TakeableBy(replica.Id, now, anyHolderIsStale: db.Database.IsSqlite()))
            // A payment from a backlog: not before the refunds queued beside it were applied.
            .Where(f => !f.AwaitsRefundBacklog || f.CreatedAt < refundsDrainedAt)
            .Where(f => !busy.Contains(f.OrderId));
    }

    /// <summary>
    /// Takes a lease on up to <paramref name="free"/> due fulfilments, and in the same commit begins the attempt of
    /// every one that is a plain new attempt (no unknown outcome to look up first): N orders cost one commit before
    /// their POSTs, not one each. The refund check is part of it: a refunded one is cancelled instead. On SQLite
    /// the transaction is BEGIN IMMEDIATE (the write lock from the first read), so a refund commits wholly before
    /// or after it. On PostgreSQL the rows are read FOR UPDATE SKIP LOCKED: a refund that has changed a row and not
    /// yet committed holds its lock, and the row is skipped; one that committed first is seen (read committed
    /// re-checks a locked row's latest version); one that commits later found the row locked or changed since its
    /// repeatable-read snapshot and fails with a serialization error, and its retry sees Attempting (it then only
    /// records the refund). Never a POST after a committed refund. Rows locked by another replica's claim are
    /// skipped, not waited for. Returns the claimed fulfilments and how many due ones were found.
    /// </summary>
    private async Task<(List<ClaimedFulfillment> Claimed, int Found)> ClaimDueAsync(FulfillmentDbContext db, List<Guid> busy, int free,
        DateTimeOffset refundsDrainedAt, IReadOnlyDictionary<Guid, RefundVerdict> refunds, CancellationToken stoppingToken)
    {
        var owner = replica.Id;
        var dryRun = wrenOptions.Value.DryRun;
        await using var transaction = await db.Database.BeginTransactionAsync(stoppingToken);
        // Once the write lock is ours: what was scheduled while we waited for it is due too.
        var now = time.GetUtcNow();
        if (rateLimit.PausedUntil(now) is not null)
        {
            // A 429 arrived meanwhile: nothing turns Attempting before Wren's Retry-After.
            return ([], 0);
        }

        var due = (await Claimable(db, busy, now, refundsDrainedAt)
                .OrderBy(f => f.NextAttemptAt)
                .Take(free)
                .ForUpdateSkipLocked()
                .ToListAsync(stoppingToken))
            // Every attempt this claim begins had its refund check: a delayed purchase that became due (or delayed)
            // since the question was asked waits for the next round's.
            .Where(f => refunds.ContainsKey(f.OrderId) || !(f.IsDue(now) && !f.MustLookUpFirst(dryRun) && refundCheck.MustAsk(f, now)))
            .ToList();
        var until = now + options.Value.LeaseDuration;
        var claimed = new List<ClaimedFulfillment>(due.Count);
        var cancelled = new List<OffsetFulfillment>();
        var checkedWithApi = new List<(OffsetFulfillment Fulfillment, RefundVerdict Verdict)>();
        var policy = options.Value.RetryPolicy;
        foreach (var fulfillment in due)
        {
            RefundVerdict? verdict = refunds.TryGetValue(fulfillment.OrderId, out var answer) ? answer : null;
            var start = AttemptStart.Claim(fulfillment, owner, dryRun, now, until, refundCheck: verdict, policy: policy);
            if (verdict is { } asked && start != StepStart.Leased)
            {
                checkedWithApi.Add((fulfillment, asked));
            }

            switch (start)
            {
                case StepStart.Cancelled:
                    cancelled.Add(fulfillment);
                    break;
                case StepStart.Postponed:
                    // Failed at the horizon: its outcome goes to the Api in the same commit.
                    fulfillment.EnqueueOutcome(db, now);
                    break;
                default:
                    claimed.Add(new ClaimedFulfillment(fulfillment, AttemptBegun: start == StepStart.Begun, verdict?.AsOf));
                    break;
            }
        }

        await db.SaveChangesAsync(stoppingToken);
        await transaction.CommitAsync(stoppingToken);
        // Handed to the processors as committed: this context must not save them again.
        db.ChangeTracker.Clear();
        foreach (var fulfillment in cancelled)
        {
            AttemptStart.LogCancelled(logger, fulfillment.OrderId, fulfillment.Attempts);
        }

        foreach (var (fulfillment, verdict) in checkedWithApi)
        {
            refundCheck.LogApplied(fulfillment.OrderId, verdict, fulfillment);
        }

        return (claimed, due.Count);
    }

    /// <summary>
    /// On a graceful stop (SIGTERM, a rolling deploy) every step here has ended: hand back the leases at
    /// once rather than making other replicas wait for them to run out. A row left Attempting (its POST
    /// cancelled mid-flight) is then recovered by another replica as an unknown outcome: lookup first.
    /// </summary>
    private async Task ReleaseLeasesAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
            var owner = replica.Id;
            foreach (var fulfillment in await db.Fulfillments.Where(FulfillmentLease.OwnedBy(owner)).ToListAsync(timeout.Token))
            {
                fulfillment.HandBackLease();
            }

            await db.SaveChangesAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            // The leases run out on their own; another replica takes over then.
            LogReleaseFailed(ex);
        }
    }

    private void Start(ClaimedFulfillment claimed, CancellationToken stoppingToken)
    {
        var orderId = claimed.Fulfillment.OrderId;
        // Claimed before the task exists, so the task's own removal can never run first.
        var claim = new TaskCompletionSource();
        if (!_inProgress.TryAdd(orderId, claim.Task))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<FulfillmentProcessor>().ProcessAsync(claimed, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down mid-step: the committed state says where to resume.
            }
            catch (DbUpdateConcurrencyException)
            {
                // Our lease ran out and another replica took the fulfilment: it is theirs now.
                LogLeaseLost(orderId);
            }
            catch (Exception ex)
            {
                // The row keeps its last committed state; an Attempting row is recovered as an unknown outcome.
                LogStepFailed(ex, orderId);
                await DelayAfterFailureAsync(stoppingToken);
            }
            finally
            {
                _inProgress.TryRemove(orderId, out _);
                claim.SetResult();
                signal.Notify();
            }
        }, CancellationToken.None);
    }

    /// <summary>An unexpected error (e.g. the database refusing a write) must not turn into a hot loop.</summary>
    private async Task DelayAfterFailureAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.Value.RetryPolicy.DelayBeforeRetry(1), time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Looking for due fulfilments failed; trying again at the next poll")]
    private partial void LogPollFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fulfilment of order {OrderId} was taken over by another replica after this one's lease ran out; its step ended without a write")]
    private partial void LogLeaseLost(Guid orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking at the refund queue failed; payments consumed from a backlog keep waiting for it until the next poll")]
    private partial void LogRefundQueueCheckFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing back fulfilment leases at shutdown failed; they run out on their own")]
    private partial void LogReleaseFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fulfilment step for order {OrderId} failed; its last committed state stands")]
    private partial void LogStepFailed(Exception exception, Guid orderId);
}
