using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;

namespace PuffinOffset.Api.Observability;

/// <summary>
/// Counts orders needing attention and failed fulfilments every <see cref="Interval"/> and hands them to
/// <see cref="ApiMetrics"/>. A scrape then only reads a cached value: scrapers (and several of them) never
/// put a query on the database, and an alert's <c>for:</c> window is far longer than the interval.
/// </summary>
public sealed partial class OrderGaugeRefresher(
    IServiceScopeFactory scopeFactory,
    ApiMetrics metrics,
    TimeProvider time,
    ILogger<OrderGaugeRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                metrics.OrdersCounted(await CountAsync(stoppingToken));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The gauges keep their last value; /health reports the database itself.
                LogCountFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<OrderCounts> CountAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var orders = scope.ServiceProvider.GetRequiredService<ApiDbContext>().Orders.AsNoTracking();
        var attention = await orders.LongCountAsync(o => o.Attention != null, cancellationToken);
        var failed = await orders.LongCountAsync(o => o.Status == OrderStatus.FulfillmentFailed, cancellationToken);
        return new OrderCounts(attention, failed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not count orders for the orders.attention and orders.fulfillment_failed gauges; they keep their last value")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);
}
