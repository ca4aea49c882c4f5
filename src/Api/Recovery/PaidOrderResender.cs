using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Platform;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Recovery;

/// <summary>
/// Every question the Api asks Fulfillment is asked again until it is answered, closing each window in which the
/// question or its answer is lost after the outbox handed it to the broker (a purged queue, an <c>_error</c> queue,
/// a parked answer): a paid order without an outcome gets its <see cref="PaymentCompleted"/> again, a refunded order
/// whose refund Fulfillment has not acknowledged its <see cref="OrderRefunded"/>, and a replay request without an
/// outcome since its <see cref="FulfillmentReplayRequested"/>. Each is due <c>PAID_ORDER_RESEND_AFTER</c> after the
/// first send, then on <see cref="ResendSchedule"/>, and goes through the outbox with a new message id so
/// Fulfillment's inbox lets it through. Fulfillment never buys twice for one order: it answers with what it recorded.
/// </summary>
public sealed partial class PaidOrderResender(
    IServiceScopeFactory scopeFactory,
    TimeProvider time,
    IOptions<OrderRecoveryOptions> options,
    ApiMetrics metrics,
    GaugeRefreshes refreshes,
    ILogger<PaidOrderResender> logger) : BackgroundService
{
    /// <summary>The advisory lock's name: one replica resends at a time.</summary>
    public const string JobName = "paid-order-resend";

    /// <summary>Orders resent per run and kind of message; more wait for the next run, a few seconds later.</summary>
    public const int BatchSize = 100;

    private TimeSpan ResendAfter => options.Value.PaidOrderResendAfter;

    /// <summary>A quarter of the delay, so a resend is at most that late, between 1 s and 1 min.</summary>
    private TimeSpan CheckInterval => TimeSpan.FromTicks(Math.Clamp(ResendAfter.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));

    /// <summary>The <see cref="GaugeRefreshes"/> name of the paid-without-outcome gauges this job reads.</summary>
    public const string RefresherName = "paid_without_outcome";

    // The database busy or down: the next run tries again; nothing is lost meanwhile.
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        refreshes.Watch(RefresherName);
        return PeriodicPass.RunEveryAsync(CheckInterval, time, RunOnceAsync, ex => LogRunFailed(logger, ex), stoppingToken);
    }

    /// <summary>One pass: reports the paid-without-outcome backlog and resends what is due; returns how many were resent.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        var now = time.GetUtcNow();

        var paid = db.Orders.Where(o => o.Status == OrderStatus.Paid);
        var waiting = await paid.CountAsync(cancellationToken);
        var oldestPaidAt = await paid.OrderBy(o => o.PaidAt).Select(o => o.PaidAt).FirstOrDefaultAsync(cancellationToken);
        metrics.PaidWithoutOutcome(waiting, oldestPaidAt is { } paidAt ? now - paidAt : TimeSpan.Zero);
        refreshes.Succeeded(RefresherName);

        // Every replica reports the backlog; one at a time resends (an advisory lock on PostgreSQL), so a
        // due order is not resent once per replica.
        var resent = new List<(Order Order, string MessageType)>();
        await db.RunExclusiveAsync(JobName, async ct =>
        {
            resent.AddRange(await ResendPaymentsAsync(db, now, ct));
            resent.AddRange(await ResendRefundsAsync(db, now, ct));
            resent.AddRange(await ResendReplayRequestsAsync(db, now, ct));

            // Only the resend columns and the outbox rows are written, so a concurrent outcome is never overwritten.
            await db.SaveChangesAsync(ct);
        }, cancellationToken);

        foreach (var (order, messageType) in resent)
        {
            metrics.MessageResent(messageType);
            switch (messageType)
            {
                case nameof(PaymentCompleted):
                    LogResent(logger, order.Id, order.PaymentCompletedResends, order.NextPaymentCompletedResendAt!.Value);
                    break;
                case nameof(OrderRefunded):
                    LogRefundResent(logger, order.Id, order.OrderRefundedResends, order.NextOrderRefundedResendAt!.Value);
                    break;
                default:
                    LogReplayResent(logger, order.Id, order.ReplayRequestResends, order.NextReplayRequestResendAt!.Value);
                    break;
            }
        }

        return resent.Count;
    }

    /// <summary>The paid orders whose <see cref="PaymentCompleted"/> is due again, longest paid first.</summary>
    public static IQueryable<Order> PaymentsDue(ApiDbContext db, DateTimeOffset now, TimeSpan resendAfter)
    {
        DateTimeOffset? firstDue = now - resendAfter;
        DateTimeOffset? nowOrNull = now;
        return db.Orders
            .Where(o => o.Status == OrderStatus.Paid)
            .Where(o => o.NextPaymentCompletedResendAt <= nowOrNull || (o.NextPaymentCompletedResendAt == null && o.PaidAt <= firstDue))
            .OrderBy(o => o.PaidAt)
            .Take(BatchSize);
    }

    /// <summary>
    /// The refunded orders whose <see cref="OrderRefunded"/> is due again, longest refunded first, read through the
    /// partial index of the unacknowledged refunds (<see cref="OrderConfiguration.UnacknowledgedRefunds"/>), not every
    /// refunded order of the history.
    /// </summary>
    public static IQueryable<Order> RefundsDue(ApiDbContext db, DateTimeOffset now, TimeSpan resendAfter)
    {
        var firstDue = now - resendAfter;
        DateTimeOffset? nowOrNull = now;
        return db.Orders
            .Where(o => o.Status == OrderStatus.Refunded && o.RefundAcknowledgedAt == null)
            .Where(o => o.NextOrderRefundedResendAt <= nowOrNull || (o.NextOrderRefundedResendAt == null && (o.RefundedAt ?? o.UpdatedAt) <= firstDue))
            .OrderBy(o => o.RefundedAt ?? o.UpdatedAt)
            .Take(BatchSize);
    }

    /// <summary>
    /// The failed orders whose replay request is due again, oldest request first, read through the partial index of
    /// the pending requests (<see cref="OrderConfiguration.PendingReplayRequests"/>), not every failed order.
    /// </summary>
    public static IQueryable<Order> ReplayRequestsDue(ApiDbContext db, DateTimeOffset now, TimeSpan resendAfter)
    {
        DateTimeOffset? firstDue = now - resendAfter;
        DateTimeOffset? nowOrNull = now;
        return db.Orders
            .Where(o => o.Status == OrderStatus.FulfillmentFailed && o.PendingReplayRequestId != null)
            .Where(o => o.NextReplayRequestResendAt <= nowOrNull || (o.NextReplayRequestResendAt == null && o.ReplayRequestedAt <= firstDue))
            .OrderBy(o => o.ReplayRequestedAt)
            .Take(BatchSize);
    }

    /// <summary>Paid, no outcome yet.</summary>
    private async Task<IEnumerable<(Order, string)>> ResendPaymentsAsync(ApiDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        var due = await PaymentsDue(db, now, ResendAfter).ToListAsync(ct);
        foreach (var order in due)
        {
            db.Enqueue(order.ToPaymentCompleted(), now);
            order.RecordPaymentCompletedResent(now + ResendSchedule.DelayAfter(order.PaymentCompletedResends + 1, ResendAfter));
        }

        return due.Select(o => (o, nameof(PaymentCompleted)));
    }

    /// <summary>
    /// Refunded, and Fulfillment has not acknowledged it: a fulfilment that never heard of the refund may still be
    /// scheduled (in Wren backoff, say), and its next try would buy for money that is gone. Orders refunded before
    /// the acknowledgement existed have no <see cref="Order.RefundedAt"/>: their last change stands in for it.
    /// </summary>
    private async Task<IEnumerable<(Order, string)>> ResendRefundsAsync(ApiDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        var due = await RefundsDue(db, now, ResendAfter).ToListAsync(ct);
        foreach (var order in due)
        {
            db.Enqueue(order.ToOrderRefunded(), now);
            order.RecordOrderRefundedResent(now + ResendSchedule.DelayAfter(order.OrderRefundedResends + 1, ResendAfter));
        }

        return due.Select(o => (o, nameof(OrderRefunded)));
    }

    /// <summary>
    /// A replay request still failed and without an outcome since: sent again with the same request id (and the
    /// operator's name and note from the history), so Fulfillment replays once and otherwise answers again.
    /// </summary>
    private async Task<IEnumerable<(Order, string)>> ResendReplayRequestsAsync(ApiDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        var due = await ReplayRequestsDue(db, now, ResendAfter).ToListAsync(ct);
        foreach (var order in due)
        {
            var request = await db.OrderHistory.AsNoTracking()
                .Where(h => h.OrderId == order.Id && h.Kind == OrderHistoryKind.ReplayRequested)
                .OrderByDescending(h => h.Id)
                .FirstOrDefaultAsync(ct);
            db.Enqueue(order.ToReplayRequested(request?.RequestedBy ?? "resend", request?.Note), now);
            order.RecordReplayRequestResent(now + ResendSchedule.DelayAfter(order.ReplayRequestResends + 1, ResendAfter));
        }

        return due.Select(o => (o, nameof(FulfillmentReplayRequested)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} is paid but Fulfillment has not answered: PaymentCompleted sent again (resend {Resends}; next at {NextResendAt})")]
    private static partial void LogResent(ILogger logger, Guid orderId, int resends, DateTimeOffset nextResendAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} is refunded but Fulfillment has not acknowledged it: OrderRefunded sent again (resend {Resends}; next at {NextResendAt})")]
    private static partial void LogRefundResent(ILogger logger, Guid orderId, int resends, DateTimeOffset nextResendAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId}'s replay has no outcome yet: FulfillmentReplayRequested sent again (resend {Resends}; next at {NextResendAt})")]
    private static partial void LogReplayResent(ILogger logger, Guid orderId, int resends, DateTimeOffset nextResendAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resending unanswered messages to Fulfillment failed; retrying at the next run")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);
}
