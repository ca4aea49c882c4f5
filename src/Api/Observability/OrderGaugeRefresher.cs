using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Platform;

namespace PuffinOffset.Api.Observability;

/// <summary>
/// Counts orders needing attention and failed fulfilments every <see cref="Interval"/> and hands them to
/// <see cref="ApiMetrics"/>. A scrape then only reads a cached value: scrapers (and several of them) never
/// put a query on the database, and an alert's <c>for:</c> window is far longer than the interval.
/// </summary>
public sealed partial class OrderGaugeRefresher(
    IServiceScopeFactory scopeFactory,
    ApiMetrics metrics,
    GaugeRefreshes refreshes,
    TimeProvider time,
    ILogger<OrderGaugeRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    /// <summary>The <see cref="GaugeRefreshes"/> name of this job.</summary>
    public const string RefresherName = "order_counts";

    // A failed count leaves the gauges at their last value and its last-success time stops, which is what
    // alerts on a database outage; /health reports the database itself.
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        refreshes.Watch(RefresherName);
        return PeriodicPass.RunEveryAsync(Interval, time, async ct =>
            {
                metrics.OrdersCounted(await CountAsync(ct));
                refreshes.Succeeded(RefresherName);
            },
            ex => LogCountFailed(logger, ex), stoppingToken);
    }

    private async Task<OrderCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        var attention = await OrdersNeedingAttention(db).LongCountAsync(cancellationToken);
        var failed = await FailedOrders(db).LongCountAsync(cancellationToken);
        return new OrderCounts(attention, failed);
    }

    /// <summary>
    /// The orders with an open attention item (<see cref="OrderFilters.NeedsAttention"/>), found from the open items:
    /// asked of the orders, the engines test every order of the history for an open item, every 15 s.
    /// </summary>
    public static IQueryable<Guid> OrdersNeedingAttention(ApiDbContext db) =>
        db.Set<OrderAttentionItem>().AsNoTracking().Where(i => i.ResolvedAt == null).Select(i => i.OrderId).Distinct();

    /// <summary>Read through the (Status, CreatedAt) index: the failed orders only, not the history around them.</summary>
    public static IQueryable<Order> FailedOrders(ApiDbContext db) =>
        db.Orders.AsNoTracking().Where(o => o.Status == OrderStatus.FulfillmentFailed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count orders for the puffin.orders.attention and puffin.orders.fulfillment_failed gauges; they keep their last value")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);
}
