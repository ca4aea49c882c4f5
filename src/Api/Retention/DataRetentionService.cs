using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Platform;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Retention;

/// <summary>
/// Keeps personal data and dedupe records only as long as needed: orders older than <c>CUSTOMER_DATA_RETENTION</c>
/// lose their customer's email (amounts, ids and statuses stay for the accounts), and <c>stripe_events</c> rows older
/// than <c>STRIPE_EVENT_RETENTION</c> are deleted. Each batch is its own short transaction (and, with several
/// replicas, taken by one of them: <see cref="OneReplica"/>), so a backlog of years never holds a long write lock.
/// </summary>
public sealed partial class DataRetentionService(
    IServiceScopeFactory scopeFactory,
    TimeProvider time,
    IOptions<DataRetentionOptions> options,
    RetentionMetrics metrics,
    ILogger<DataRetentionService> logger) : BackgroundService
{
    public const string EmailJobName = "customer-data-retention";
    public const string StripeEventJobName = "stripe-event-retention";

    private DataRetentionOptions Options => options.Value;

    // Housekeeping: a busy or unavailable database waits for the next pass; nothing is lost meanwhile.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicPass.RunEveryAsync(Options.Interval, time, RunOnceAsync, ex => LogPassFailed(logger, ex), stoppingToken);

    /// <summary>One pass over both tables; returns the orders whose email was erased and the events deleted.</summary>
    public async Task<(int Emails, int StripeEvents)> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        DateTimeOffset? emailCutoff = now - Options.CustomerData;
        var eventCutoff = now - Options.StripeEvents;
        var batchSize = Options.BatchSize;

        var emails = await InBatchesAsync(EmailJobName, (db, ct) => OrdersWithEmailBefore(db, emailCutoff, batchSize)
                .ExecuteUpdateAsync(set => set
                    .SetProperty(o => o.CustomerEmail, (string?)null)
                    .SetProperty(o => o.CustomerEmailErasedAt, now), ct),
            erased => metrics.EmailsErased(erased, RetentionMetrics.Expired), cancellationToken);

        var events = await InBatchesAsync(StripeEventJobName, (db, ct) => db.StripeEvents
                .Where(e => e.ReceivedAt < eventCutoff)
                .OrderBy(e => e.ReceivedAt).Take(batchSize)
                .ExecuteDeleteAsync(ct),
            metrics.StripeEventsDeleted, cancellationToken);

        if (emails + events > 0)
        {
            LogPurged(logger, emails, emailCutoff.Value, events, eventCutoff);
        }

        return (emails, events);
    }

    /// <summary>
    /// The next batch of orders whose email is due for erasure, oldest first: read through the partial index of the
    /// orders that still have one (<see cref="OrderConfiguration.OrdersWithEmailByAge"/>), not past every order erased before.
    /// </summary>
    public static IQueryable<Orders.Order> OrdersWithEmailBefore(ApiDbContext db, DateTimeOffset? cutoff, int batchSize) =>
        db.Orders.Where(o => o.CustomerEmail != null && o.CreatedAt < cutoff).OrderBy(o => o.CreatedAt).Take(batchSize);

    /// <summary>Batches until one comes back short; counted only once each batch has committed.</summary>
    private async Task<int> InBatchesAsync(string job, Func<ApiDbContext, CancellationToken, Task<int>> batch,
        Action<int> committed, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            await using var scope = scopeFactory.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
            var changed = 0;
            if (!await db.RunExclusiveAsync(job, async ct => changed = await batch(db, ct), cancellationToken))
            {
                return total; // another replica is on it
            }

            committed(changed);
            total += changed;
            if (changed < Options.BatchSize)
            {
                return total;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Data retention erased the customer email of {Orders} orders created before {EmailCutoff:O} and deleted {StripeEvents} Stripe event records received before {EventCutoff:O}")]
    private static partial void LogPurged(ILogger logger, int orders, DateTimeOffset emailCutoff, int stripeEvents, DateTimeOffset eventCutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data retention pass failed; retrying at the next interval")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
