using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Api.Retention;
using PuffinOffset.Api.Webhooks;
using static PuffinOffset.HistorySeed.HotQueries;

namespace PuffinOffset.HistorySeed;

/// <summary>The Api's hot-path and periodic queries, as the named files write them.</summary>
public static class ApiQueries
{
    public static HotQuery<ApiDbContext>[] For(BatchSample batch, DateTimeOffset now)
    {
        return
        [
            new("webhook batch: recorded event ids", "Api/Webhooks/StripeEventWriter", db => db.StripeEvents
                .Where(e => batch.EventIds.Contains(e.EventId)).Select(e => e.EventId).ToListAsync()),
            new("webhook: one event recorded?", "Api/Webhooks/StripeEventWriter", db => db.StripeEvents.AnyAsync(e => e.EventId == batch.EventIds[0])),
            new("webhook batch: its orders", "Api/Webhooks/StripeEventBatch", db => db.Orders
                .Where(o => batch.Sessions.Contains(o.CheckoutSessionId!) || batch.OrderIds.Contains(o.Id)).LoadAsync()),
            new("webhook batch: earlier payment events", "Api/Webhooks/StripeEventBatch", db => db.StripeEvents
                .Where(e => e.Outcome == WebhookOutcome.UnknownOrder && batch.PaymentIntents.Contains(e.PaymentIntentId!))
                .Select(e => new { e.PaymentIntentId, e.Type, e.AmountRefunded, e.FullRefund, e.ReceivedAt }).ToListAsync()),
            new("charge event: order by payment intent", "Api/Webhooks/StripeEventBatch.Charges", db => db.Orders
                .OrderBy(o => o.CreatedAt).FirstOrDefaultAsync(o => o.PaymentIntentId == batch.PaymentIntents[0])),
            new("outcome consumers: the order", "Api/FulfillmentOutcomes/*Consumer", db => db.Orders.FindAsync([batch.OrderIds[0]]).AsTask()),
            new("gauge: orders needing attention", "Api/Observability/OrderGaugeRefresher", db => OrderGaugeRefresher.OrdersNeedingAttention(db).LongCountAsync()),
            new("gauge: fulfilment failed", "Api/Observability/OrderGaugeRefresher", db => OrderGaugeRefresher.FailedOrders(db).LongCountAsync()),
            new("resender: paid count", "Api/Recovery/PaidOrderResender", db => db.Orders.Where(o => o.Status == OrderStatus.Paid).CountAsync()),
            new("resender: oldest paid", "Api/Recovery/PaidOrderResender", db => db.Orders
                .Where(o => o.Status == OrderStatus.Paid).OrderBy(o => o.PaidAt).Select(o => o.PaidAt).FirstOrDefaultAsync()),
            new("resender: PaymentCompleted due", "Api/Recovery/PaidOrderResender", db => PaidOrderResender.PaymentsDue(db, now, TimeSpan.FromDays(1)).ToListAsync()),
            new("resender: OrderRefunded due", "Api/Recovery/PaidOrderResender", db => PaidOrderResender.RefundsDue(db, now, TimeSpan.FromDays(1)).ToListAsync()),
            new("resender: replay requests due", "Api/Recovery/PaidOrderResender", db => PaidOrderResender.ReplayRequestsDue(db, now, TimeSpan.FromDays(1)).ToListAsync()),
            new("reconciler: candidates", "Api/Recovery/StripeReconciler", db =>
            {
                var (createdBefore, pendingAfter, awaitingAfter) = (now.AddMinutes(-10), now.AddDays(-2), now.AddDays(-2));
                return db.Orders.AsNoTracking()
                    .Where(o => ((o.Status == OrderStatus.Pending && o.CreatedAt > pendingAfter) || (o.Status == OrderStatus.AwaitingPayment && o.CreatedAt > awaitingAfter))
                        && o.CheckoutSessionId != null && o.CreatedAt <= createdBefore)
                    .OrderBy(o => o.StripeCheckedAt).ThenBy(o => o.CreatedAt).Take(100)
                    .Select(o => new { o.Id, o.CheckoutSessionId, o.Status }).ToListAsync();
            }),
            new("retention: erase emails (a batch)", "Api/Retention/DataRetentionService", db =>
            {
                DateTimeOffset? cutoff = now.AddDays(-400);
                return DataRetentionService.OrdersWithEmailBefore(db, cutoff, 1000).ExecuteUpdateAsync(set => set.SetProperty(o => o.CustomerEmail, (string?)null).SetProperty(o => o.CustomerEmailErasedAt, now));
            }),
            new("retention: delete stripe_events (a batch)", "Api/Retention/DataRetentionService", db =>
            {
                var cutoff = now.AddDays(-90);
                return db.StripeEvents.Where(e => e.ReceivedAt < cutoff).OrderBy(e => e.ReceivedAt).Take(1000).ExecuteDeleteAsync();
            }),
        ];
    }
}
