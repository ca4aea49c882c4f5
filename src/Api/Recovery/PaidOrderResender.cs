using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api.Recovery;

/// <summary>
/// Closes every window in which a paid order's PaymentCompleted, or Fulfillment's answer to it, is lost
/// after the outbox handed it to the broker (a purged queue, an <c>_error</c> queue, a lost outcome):
/// a paid order without an outcome for <c>PAID_ORDER_RESEND_AFTER</c> gets its PaymentCompleted published
/// again through the outbox, with a new message id so Fulfillment's inbox lets it through. Fulfillment
/// never buys twice for one order: it republishes a recorded outcome, or does nothing while it works.
/// </summary>
public sealed partial class PaidOrderResender(
    IServiceScopeFactory scopeFactory,
    TimeProvider time,
    IOptions<OrderRecoveryOptions> options,
    ApiMetrics metrics,
    ILogger<PaidOrderResender> logger) : BackgroundService
{
    /// <summary>The advisory lock's name: one replica resends at a time.</summary>
    public const string JobName = "paid-order-resend";

    /// <summary>Orders resent per run; more wait for the next run, a few seconds later.</summary>
    public const int BatchSize = 100;

    private TimeSpan ResendAfter => options.Value.PaidOrderResendAfter;

    /// <summary>A quarter of the delay, so a resend is at most that late, between 1 s and 1 min.</summary>
    private TimeSpan CheckInterval => TimeSpan.FromTicks(Math.Clamp(ResendAfter.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));

    // The database busy or down: the next run tries again; nothing is lost meanwhile.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicPass.RunEveryAsync(CheckInterval, time, RunOnceAsync, ex => LogRunFailed(logger, ex), stoppingToken);

    /// <summary>One pass: reports the paid-without-outcome backlog and resends what is due; returns how many were resent.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        var now = time.GetUtcNow();
        DateTimeOffset? firstDue = now - ResendAfter;
        DateTimeOffset? nowOrNull = now;

        var paid = db.Orders.Where(o => o.Status == OrderStatus.Paid);
        var waiting = await paid.CountAsync(cancellationToken);
        var oldestPaidAt = await paid.OrderBy(o => o.PaidAt).Select(o => o.PaidAt).FirstOrDefaultAsync(cancellationToken);
        metrics.PaidWithoutOutcome(waiting, oldestPaidAt is { } paidAt ? now - paidAt : TimeSpan.Zero);

        // Every replica reports the backlog; one at a time resends (an advisory lock on PostgreSQL), so a
        // due order is not resent once per replica.
        List<Order> due = [];
        await db.RunExclusiveAsync(JobName, async ct =>
        {
            due = await paid
                .Where(o => o.NextPaymentCompletedResendAt <= nowOrNull || (o.NextPaymentCompletedResendAt == null && o.PaidAt <= firstDue))
                .OrderBy(o => o.PaidAt)
                .Take(BatchSize)
                .ToListAsync(ct);
            foreach (var order in due)
            {
                db.Enqueue(order.ToPaymentCompleted(), now);
                order.RecordPaymentCompletedResent(now + ResendSchedule.DelayAfter(order.PaymentCompletedResends + 1, ResendAfter));
            }

            // Only the resend columns and the outbox rows are written, so a concurrent outcome is never overwritten.
            await db.SaveChangesAsync(ct);
        }, cancellationToken);

        foreach (var order in due)
        {
            metrics.PaymentCompletedResent();
            LogResent(logger, order.Id, order.PaymentCompletedResends, order.NextPaymentCompletedResendAt!.Value);
        }

        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} is paid but Fulfillment has not answered: PaymentCompleted sent again (resend {Resends}; next at {NextResendAt})")]
    private static partial void LogResent(ILogger logger, Guid orderId, int resends, DateTimeOffset nextResendAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resending PaymentCompleted of paid orders failed; retrying at the next run")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);
}
