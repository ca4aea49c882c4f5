using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Platform;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Tests.Observability;

/// <summary>
/// puffin.orders.attention and puffin.orders.fulfillment_failed come from the database, counted on a timer: a scrape
/// reads the cached count, and the count follows the orders at the next refresh.
/// </summary>
public sealed class OrderGaugeRefresherTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_gauges_count_orders_needing_attention_and_failed_fulfilments_and_follow_them_on_each_refresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSqliteDbContext<ApiDbContext>(_folder.File("gauges.db"));
        services.AddSingleton<ApiMetrics>();
        await using var provider = services.BuildServiceProvider();
        await AddOrdersAsync(provider, time, attention: 2, failed: 1);
        using var gauges = new GaugeReader(provider.GetRequiredService<IMeterFactory>(), ApiMetrics.MeterName);
        var refresher = new OrderGaugeRefresher(provider.GetRequiredService<IServiceScopeFactory>(),
            provider.GetRequiredService<ApiMetrics>(), new GaugeRefreshes(provider.GetRequiredService<IMeterFactory>(), time), time,
            NullLogger<OrderGaugeRefresher>.Instance);

        Assert.Null(gauges.Read("puffin.orders.attention")); // nothing reported before the first count

        await refresher.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => gauges.Read("puffin.orders.attention") == 2 && gauges.Read("puffin.orders.fulfillment_failed") == 1,
            because: "the first count is reported");

        await AddOrdersAsync(provider, time, attention: 1, failed: 2);
        Assert.Equal(2, gauges.Read("puffin.orders.attention")); // cached until the next refresh

        time.Advance(OrderGaugeRefresher.Interval);
        await Eventually.TrueAsync(() => gauges.Read("puffin.orders.attention") == 3 && gauges.Read("puffin.orders.fulfillment_failed") == 3,
            because: "the next refresh reports the new orders");

        // An operator resolves one order's only item: it no longer needs attention.
        await using (var scope = provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
            (await db.Orders.FirstAsync(OrderFilters.NeedsAttention)).Attention.Single().Resolve("ops", "refunded", time.GetUtcNow());
            await db.SaveChangesAsync();
        }

        time.Advance(OrderGaugeRefresher.Interval);
        await Eventually.TrueAsync(() => gauges.Read("puffin.orders.attention") == 2, because: "a resolved item is not counted");
        await refresher.StopAsync(CancellationToken.None);
    }

    private static async Task AddOrdersAsync(IServiceProvider provider, TimeProvider time, int attention, int failed)
    {
        await using var scope = provider.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        await db.Database.MigrateAsync();
        var now = time.GetUtcNow();
        for (var i = 0; i < attention; i++)
        {
            var order = Order.Create(Guid.NewGuid(), 1m, 21, 40_171, null, null, null, now);
            order.RequireAttention(OrderAttention.PaymentForUnfulfillableOrder, now);
            db.Orders.Add(order);
        }

        for (var i = 0; i < failed; i++)
        {
            var order = Order.Create(Guid.NewGuid(), 1m, 21, 40_171, null, null, null, now);
            Assert.True(order.TryMoveTo(OrderStatus.Paid, now) && order.TryMoveTo(OrderStatus.FulfillmentFailed, now));
            db.Orders.Add(order);
        }

        db.Orders.Add(Order.Create(Guid.NewGuid(), 1m, 21, 40_171, null, null, null, now)); // a healthy one, never counted
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// Collects the current value of a meter's observable gauges, as a scrape does: the meter of one service provider
    /// (its <see cref="IMeterFactory"/> is the meter's scope), not the same-named meters of hosts in tests running beside.
    /// </summary>
    private sealed class GaugeReader : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _values = [];

        public GaugeReader(IMeterFactory meters, string meterName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == meterName && instrument.Meter.Scope == meters)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => _values[instrument.Name] = value);
            _listener.Start();
        }

        public long? Read(string instrument)
        {
            lock (_values)
            {
                _values.Clear();
                _listener.RecordObservableInstruments();
                return _values.TryGetValue(instrument, out var value) ? value : null;
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
