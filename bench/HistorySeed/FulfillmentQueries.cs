using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform.Persistence;
using static PuffinOffset.HistorySeed.HotQueries;

namespace PuffinOffset.HistorySeed;

/// <summary>Fulfillment's hot-path and periodic queries, as the named files write them.</summary>
public static class FulfillmentQueries
{
    public static HotQuery<FulfillmentDbContext>[] For(BatchSample batch, DateTimeOffset now, bool postgres)
    {
        var lateCutoff = now.AddMinutes(-10);
        var busy = batch.OrderIds.Take(2).ToList();
        return
        [
            new("payment batch: its fulfilments", "Fulfillment/Payments/PaymentBatch", db => db.Fulfillments
                .Where(f => batch.OrderIds.Contains(f.OrderId)).LoadAsync()),
            new("payment batch: latest restore", "Fulfillment/Restore/RestoredCommand", db => db.RestorePoints.AsNoTracking()
                .OrderByDescending(r => r.Id).Select(r => (DateTimeOffset?)r.RestoredAt).FirstOrDefaultAsync()),
            new("worker: claim due", "Fulfillment/Purchases/FulfillmentWorker", db => db.Fulfillments
                .Where(f => (f.State == FulfillmentState.Scheduled && f.NextAttemptAt <= now) || f.State == FulfillmentState.Attempting)
                .Where(FulfillmentLease.TakeableBy("replica-1", now, anyHolderIsStale: !postgres))
                .Where(f => !f.AwaitsRefundBacklog || f.CreatedAt < now)
                .Where(f => !busy.Contains(f.OrderId))
                .OrderBy(f => f.NextAttemptAt).Take(8).ForUpdateSkipLocked().ToListAsync()),
            new("worker: next due", "Fulfillment/Purchases/FulfillmentWorker", db => db.Fulfillments.AsNoTracking()
                .Where(f => f.State == FulfillmentState.Scheduled && !busy.Contains(f.OrderId))
                .Where(FulfillmentLease.TakeableBy("replica-1", now, anyHolderIsStale: !postgres))
                .Where(f => !f.AwaitsRefundBacklog || f.CreatedAt < now)
                .OrderBy(f => f.NextAttemptAt).Select(f => (DateTimeOffset?)f.NextAttemptAt).FirstOrDefaultAsync()),
            new("worker: held for refunds", "Fulfillment/Purchases/FulfillmentWorker", db => db.Fulfillments.AsNoTracking()
                .AnyAsync(f => f.State == FulfillmentState.Scheduled && f.NextAttemptAt <= now && f.AwaitsRefundBacklog && f.CreatedAt >= now)),
            new("processor: lease still held", "Fulfillment/Purchases/FulfillmentProcessor", db => db.Fulfillments.AsNoTracking()
                .Where(f => f.OrderId == batch.OrderIds[0] && f.Version == 3 && f.State == FulfillmentState.Attempting)
                .Where(FulfillmentLease.HeldBy("replica-1", now)).AnyAsync()),
            new("late-order check: due", "Fulfillment/Purchases/LateWrenOrderCheck", db => LateWrenOrderCheck.Due(db, lateCutoff, 20).ToListAsync()),
        ];
    }
}
