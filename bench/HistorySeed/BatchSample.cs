using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Persistence;

namespace PuffinOffset.HistorySeed;

/// <summary>What one webhook or payment batch brings: 8 of the newest past orders and events and 8 unknown ones.</summary>
public sealed record BatchSample(List<Guid> OrderIds, List<string> Sessions, List<string> PaymentIntents, List<string> EventIds)
{
    public static async Task<BatchSample> ReadAsync(ApiDbContext db)
    {
        await using (db)
        {
            var newest = await db.Orders.AsNoTracking().OrderByDescending(o => o.CreatedAt).Take(8)
                .Select(o => new { o.Id, o.CheckoutSessionId, o.PaymentIntentId }).ToListAsync();
            var events = await db.StripeEvents.AsNoTracking().OrderByDescending(e => e.ReceivedAt).Take(8).Select(e => e.EventId).ToListAsync();
            var unknown = Enumerable.Range(0, 8).ToList();
            return new BatchSample(
                [.. newest.Select(o => o.Id), .. unknown.Select(_ => Guid.CreateVersion7())],
                [.. newest.Select(o => o.CheckoutSessionId!), .. unknown.Select(i => $"cs_test_new{i}")],
                [.. newest.Select(o => o.PaymentIntentId ?? "pi_none"), .. unknown.Select(i => $"pi_new{i}")],
                [.. events, .. unknown.Select(i => $"evt_new{i}")]);
        }
    }
}
