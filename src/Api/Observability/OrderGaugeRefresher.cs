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
        var orders = scope.ServiceProvider.GetRequiredService<ApiDbContext>().Orders.AsNoTracking();
        var attention = await orders.LongCountAsync(OrderFilters.NeedsAttention, cancellationToken);
        var failed = await orders.LongCountAsync(o => o.Status == OrderStatus.FulfillmentFailed, cancellationToken);
        return new OrderCounts(attention, failed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count orders for the puffin.orders.attention and puffin.orders.fulfillment_failed gauges; they keep their last value")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);
}
