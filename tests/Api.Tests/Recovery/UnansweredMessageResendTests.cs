using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Platform;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Recovery;

/// <summary>
/// OrderRefunded and FulfillmentReplayRequested are resent, as PaymentCompleted is, until Fulfillment answers:
/// the resend job on the engine under test, with time under the test's control.
/// </summary>
public sealed class UnansweredMessageResendTests : IAsyncLifetime
{
    private static readonly TimeSpan First = TimeSpan.FromMinutes(15);

    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 6, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<string> _resentTypes = new();
    private readonly MeterListener _listener = new();
    private ServiceProvider _services = null!;

    private PaidOrderResender Resender => _services.GetRequiredService<PaidOrderResender>();

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<OutboxSignal>();
        var path = _folder.File("orders.db");
        if (TestDatabase.IsPostgres)
        {
            var connectionString = await TestDatabase.PostgresConnectionStringAsync(path, "orders");
            services.AddDbContext<ApiDbContext, PostgresApiDbContext>(options => options.UseNpgsql(connectionString));
        }
        else
        {
            services.AddSqliteDbContext<ApiDbContext>(path);
        }

        services.AddSingleton<ApiMetrics>();
        services.AddSingleton(Options.Create(new OrderRecoveryOptions { PaidOrderResendAfter = First }));
        services.AddSingleton<GaugeRefreshes>();
        services.AddSingleton<PaidOrderResender>();
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        _services = services.BuildServiceProvider();
        _services.GetRequiredService<ApiMetrics>(); // the meter exists before the listener starts
        var meters = _services.GetRequiredService<IMeterFactory>(); // this test's own meter, not another class's
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "puffin.orders.message_resends")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (value > 0)
            {
                _resentTypes.Enqueue((string)tags.ToArray().Single(t => t.Key == "message_type").Value!);
            }
        });
        _listener.Start();
        await WithDbAsync(async db =>
        {
            await db.Database.MigrateAsync();
            return 0;
        });
    }

    [Fact]
    public async Task A_refund_Fulfillment_has_not_acknowledged_is_resent_with_doubling_delays_until_it_is()
    {
        var orderId = await RefundedOrderAsync();
        var refundedAt = _time.GetUtcNow();

        // Due at refunded + 15 min, then 30 min later, then 1 h later.
        var due = refundedAt;
        foreach (var (gap, resend) in new[] { First, TimeSpan.FromMinutes(30), TimeSpan.FromHours(1) }.Select((gap, i) => (gap, i + 1)))
        {
            due += gap;
            _time.SetUtcNow(due - TimeSpan.FromSeconds(1));
            Assert.Equal(0, await Resender.RunOnceAsync(CancellationToken.None));
            _time.SetUtcNow(due);
            Assert.Equal(1, await Resender.RunOnceAsync(CancellationToken.None));
            Assert.Equal(resend, (await OrderAsync(orderId)).OrderRefundedResends);
        }

        // Each resend is a new message with the facts of the first.
        var refunds = await MessagesAsync<OrderRefunded>();
        Assert.Equal(4, refunds.Count);
        Assert.All(refunds, r => Assert.Equal(new OrderRefunded(orderId, 100_428, refundedAt), r));
        Assert.Equal(["OrderRefunded", "OrderRefunded", "OrderRefunded"], _resentTypes);

        await AcknowledgeAsync(orderId);
        _time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(0, await Resender.RunOnceAsync(CancellationToken.None));
        Assert.Equal(4, (await MessagesAsync<OrderRefunded>()).Count);
    }

    [Fact]
    public async Task A_refund_acknowledged_before_its_first_resend_is_never_resent()
    {
        var orderId = await RefundedOrderAsync();
        await AcknowledgeAsync(orderId);
        var acknowledgedAt = (await OrderAsync(orderId)).RefundAcknowledgedAt;

        _time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, await Resender.RunOnceAsync(CancellationToken.None));

        // A copy of the acknowledgement (Fulfillment answered a resend that crossed it) changes nothing.
        Assert.False(await WithDbAsync(async db => (await db.Orders.SingleAsync(o => o.Id == orderId)).AcknowledgeRefund(_time.GetUtcNow())));
        Assert.Equal(acknowledgedAt, (await OrderAsync(orderId)).RefundAcknowledgedAt);
        Assert.Single(await MessagesAsync<OrderRefunded>());
    }

    [Fact]
    public async Task A_replay_request_without_an_outcome_is_resent_with_its_request_id_until_an_outcome_arrives()
    {
        var orderId = await PaidOrderAsync();
        var requestId = Guid.NewGuid();
        await WithDbAsync(async db =>
        {
            var now = _time.GetUtcNow();
            var order = await db.Orders.SingleAsync(o => o.Id == orderId);
            Assert.True(order.TryMoveTo(OrderStatus.FulfillmentFailed, now));
            db.OrderHistory.Add(OrderHistoryEntry.ReplayRequested(orderId, "alice", "credits topped up", now));
            db.Enqueue(order.RequestReplay(requestId, "alice", "credits topped up", now), now);
            return await db.SaveChangesAsync();
        });

        _time.Advance(First - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Resender.RunOnceAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Resender.RunOnceAsync(CancellationToken.None));
        _time.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(1, await Resender.RunOnceAsync(CancellationToken.None));

        var requests = await MessagesAsync<FulfillmentReplayRequested>();
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r => Assert.Equal(new FulfillmentReplayRequested(orderId, "alice", "credits topped up", requestId), r));
        Assert.Equal(["FulfillmentReplayRequested", "FulfillmentReplayRequested"], _resentTypes);

        // The replay failed again and its OffsetOrderFailed arrived: answered, no more resends.
        await WithDbAsync(async db =>
        {
            (await db.Orders.SingleAsync(o => o.Id == orderId)).RecordOutcomeReceived();
            return await db.SaveChangesAsync();
        });
        _time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, await Resender.RunOnceAsync(CancellationToken.None));
        Assert.Equal(3, (await MessagesAsync<FulfillmentReplayRequested>()).Count);
    }

    /// <summary>A paid order as the webhook leaves it: status paid and its first PaymentCompleted in the outbox.</summary>
    private async Task<Guid> PaidOrderAsync()
    {
        var orderId = Guid.NewGuid();
        await WithDbAsync(async db =>
        {
            var now = _time.GetUtcNow();
            var order = Order.Create(orderId, 2.5m, 21, 100_428, "captain@example.com", null, null, now);
            order.AttachCheckoutSession($"cs_test_{orderId:N}", null, now);
            Assert.True(order.TryMarkPaid($"pi_test_{orderId:N}", null, now));
            db.Orders.Add(order);
            db.Enqueue(order.ToPaymentCompleted(), now);
            return await db.SaveChangesAsync();
        });
        return orderId;
    }

    /// <summary>A paid order refunded in full a minute later, as charge.refunded leaves it: its first OrderRefunded in the outbox.</summary>
    private async Task<Guid> RefundedOrderAsync()
    {
        var orderId = await PaidOrderAsync();
        _time.Advance(TimeSpan.FromMinutes(1));
        await WithDbAsync(async db =>
        {
            var now = _time.GetUtcNow();
            var order = await db.Orders.SingleAsync(o => o.Id == orderId);
            Assert.Equal(RefundChange.Refunded, order.ApplyRefund(100_428, fullRefund: true, now));
            db.Enqueue(order.ToOrderRefunded(), now);
            return await db.SaveChangesAsync();
        });
        return orderId;
    }

    private Task<int> AcknowledgeAsync(Guid orderId) => WithDbAsync(async db =>
    {
        Assert.True((await db.Orders.SingleAsync(o => o.Id == orderId)).AcknowledgeRefund(_time.GetUtcNow()));
        return await db.SaveChangesAsync();
    });

    private Task<Order> OrderAsync(Guid orderId) => WithDbAsync(db => db.Orders.AsNoTracking().SingleAsync(o => o.Id == orderId));

    private async Task<List<T>> MessagesAsync<T>() where T : class
    {
        var type = MessageTypes.NameOf(typeof(T));
        var rows = await WithDbAsync(db => db.OutboxMessages.AsNoTracking()
            .Where(m => m.MessageType == type).OrderBy(m => m.Sequence).ToListAsync());
        Assert.Equal(rows.Count, rows.Select(r => r.MessageId).Distinct().Count());
        return [.. rows.Select(r => (T)r.Deserialize())];
    }

    private async Task<T> WithDbAsync<T>(Func<ApiDbContext, Task<T>> work)
    {
        await using var scope = _services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<ApiDbContext>());
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _services.DisposeAsync();
        _folder.Dispose();
    }
}
