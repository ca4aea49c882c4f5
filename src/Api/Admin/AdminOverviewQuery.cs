using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;

namespace PuffinOffset.Api.Admin;

/// <summary><c>GET /api/admin/overview</c>: the backlog at a glance, read straight from the database.</summary>
public static class AdminOverviewQuery
{
    public const int PaidWaitingLongestCount = 10;

    public static async Task<Ok<AdminOverview>> GetAsync(ApiDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var counts = await db.Orders.GroupBy(o => o.Status)
            .Select(g => new { Status = g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var byStatus = Enum.GetValues<OrderStatus>().ToDictionary(
            OrderStatusNames.Of, s => counts.SingleOrDefault(c => c.Status == s)?.Count ?? 0);
        var attention = await db.Orders.CountAsync(OrderFilters.NeedsAttention, cancellationToken);

        var pending = db.OutboxMessages.Where(m => m.DispatchedAt == null);
        var pendingCount = await pending.CountAsync(cancellationToken);
        var oldest = await pending.OrderBy(m => m.Sequence).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefaultAsync(cancellationToken);

        // A paid order's last change is its payment until Fulfillment answers, so UpdatedAt is how long it has waited.
        var paid = await db.Orders.AsNoTracking().Where(o => o.Status == OrderStatus.Paid)
            .OrderBy(o => o.UpdatedAt).Take(PaidWaitingLongestCount).ToListAsync(cancellationToken);

        return TypedResults.Ok(new AdminOverview(
            byStatus,
            attention,
            new OutboxBacklog(pendingCount, oldest, oldest is { } at ? Math.Max(0, (now - at).TotalSeconds) : null),
            paid.Select(OrderView.From).ToList(),
            now));
    }
}
