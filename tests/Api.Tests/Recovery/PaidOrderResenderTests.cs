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
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Recovery;

/// <summary>The resend job on a real SQLite file, with time under the test's control.</summary>
public sealed class PaidOrderResenderTests : IDisposable
{
    private static readonly TimeSpan First = TimeSpan.FromMinutes(15);

    private readonly TempFolder _folder = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 6, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services;

    public PaidOrderResenderTests()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSingleton<TimeProvider>(_time);
        services.AddSingleton<OutboxSignal>();
        services.AddSqliteDbContext<ApiDbContext>(_folder.File("orders.db"));
        services.AddSingleton<ApiMetrics>();
        services.AddSingleton(Options.Create(new OrderRecoveryOptions { PaidOrderResendAfter = First }));
        services.AddSingleton<GaugeRefreshes>();
        services.AddSingleton<PaidOrderResender>();
        services.AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>));
        _services = services.BuildServiceProvider();
    }

    [Fact]
    public async Task Resends_start_after_the_configured_delay_then_double_up_to_six_hours()
    {
        var orderId = await PaidOrderAsync();
        var resender = _services.GetRequiredService<PaidOrderResender>();
        var paidAt = _time.GetUtcNow();

        // Due at paid + 15 min, then 30 min, 1 h, 2 h, 4 h later, then every 6 h (the cap).
        TimeSpan[] gaps = [First, TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(4), TimeSpan.FromHours(6), TimeSpan.FromHours(6)];
        var due = paidAt;
        foreach (var (gap, resend) in gaps.Select((gap, i) => (gap, i + 1)))
        {
            due += gap;
            _time.SetUtcNow(due - TimeSpan.FromSeconds(1));
            Assert.Equal(0, await resender.RunOnceAsync(CancellationToken.None));

            _time.SetUtcNow(due);
            Assert.Equal(1, await resender.RunOnceAsync(CancellationToken.None));
            Assert.Equal(0, await resender.RunOnceAsync(CancellationToken.None));

            var order = await WithDbAsync(db => db.Orders.AsNoTracking().SingleAsync(o => o.Id == orderId));
            Assert.Equal(resend, order.PaymentCompletedResends);
        }

        // Each resend is a new message (a new id, so Fulfillment's inbox lets it through) with the same facts.
        var rows = await WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.Sequence).ToListAsync());
        Assert.Equal(gaps.Length + 1, rows.Count);
        Assert.Equal(rows.Count, rows.Select(r => r.MessageId).Distinct().Count());
        var payments = rows.Select(r => (PaymentCompleted)r.Deserialize()).ToList();
        Assert.All(payments, p => Assert.Equal(payments[0], p));
        Assert.Equal(paidAt, payments[0].PaidAt);
    }

    [Fact]
    public async Task An_order_with_an_outcome_is_never_resent()
    {
        var orderId = await PaidOrderAsync();
        await WithDbAsync(async db =>
        {
            var order = await db.Orders.SingleAsync(o => o.Id == orderId);
            order.TryMarkFulfilled("oo_TEST", dryRun: false, _time.GetUtcNow());
            return await db.SaveChangesAsync();
        });

        _time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(0, await _services.GetRequiredService<PaidOrderResender>().RunOnceAsync(CancellationToken.None));
    }

    /// <summary>A paid order as the webhook leaves it: status paid and its first PaymentCompleted in the outbox.</summary>
    private async Task<Guid> PaidOrderAsync()
    {
        await WithDbAsync(async db =>
        {
            await db.Database.MigrateAsync();
            return 0;
        });
        var orderId = Guid.NewGuid();
        await WithDbAsync(async db =>
        {
            var now = _time.GetUtcNow();
            var order = Order.Create(orderId, 2.5m, 21, 100_428, "captain@example.com", null, null, now);
            order.AttachCheckoutSession("cs_test_resend", null, now);
            Assert.True(order.TryMarkPaid("pi_test_resend", null, now));
            db.Orders.Add(order);
            db.Enqueue(order.ToPaymentCompleted(), now);
            return await db.SaveChangesAsync();
        });
        return orderId;
    }

    private async Task<T> WithDbAsync<T>(Func<ApiDbContext, Task<T>> work)
    {
        await using var scope = _services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<ApiDbContext>());
    }

    public void Dispose()
    {
        _services.Dispose();
        _folder.Dispose();
    }
}
