using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Retention;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Retention;

/// <summary>The retention pass on the engine under test, in batches of two so that every pass needs several.</summary>
public sealed class DataRetentionTests : ApiTestBase
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["DataRetention:BatchSize"] = "2";

    [Fact]
    public async Task Orders_past_CUSTOMER_DATA_RETENTION_lose_the_email_and_keep_amounts_ids_and_statuses()
    {
        await StopPeriodicPassAsync();
        using var erased = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.orders.customer_emails_erased", new("reason", RetentionMetrics.Expired));
        var old = new List<CreatedOrder>();
        for (var i = 0; i < 3; i++)
        {
            old.Add(await CreateOrderAsync(tons: 1.5m + i));
        }

        var recent = await CreateOrderAsync();
        var oldIds = old.Select(o => o.OrderId).ToList();
        var createdAt = DateTimeOffset.UtcNow - TimeSpan.FromDays(401);
        await Api.WithDbAsync(db => db.Orders.Where(o => oldIds.Contains(o.Id)).ExecuteUpdateAsync(set => set.SetProperty(o => o.CreatedAt, createdAt)));
        var before = await Api.WithDbAsync(db => db.Orders.AsNoTracking().Where(o => oldIds.Contains(o.Id)).OrderBy(o => o.Id).ToListAsync());

        await RetentionPassAsync();

        var after = await Api.WithDbAsync(db => db.Orders.AsNoTracking().Where(o => oldIds.Contains(o.Id)).OrderBy(o => o.Id).ToListAsync());
        Assert.All(after, order =>
        {
            Assert.Null(order.CustomerEmail);
            Assert.NotNull(order.CustomerEmailErasedAt);
        });
        Assert.Equal(
            before.Select(o => (o.Id, o.Status, o.AmountTotal, o.Tons, o.CheckoutSessionId, o.CreatedAt)),
            after.Select(o => (o.Id, o.Status, o.AmountTotal, o.Tons, o.CheckoutSessionId, o.CreatedAt)));
        Assert.Equal("buyer@example.com", (await OrderAsync(recent.OrderId)).CustomerEmail);
        Assert.Equal(3, erased.Value);
        Assert.Equal((0, 0), await RetentionPassAsync());
    }

    [Fact]
    public async Task Stripe_events_past_STRIPE_EVENT_RETENTION_are_deleted_and_newer_ones_kept_for_dedupe()
    {
        await StopPeriodicPassAsync();
        var now = DateTimeOffset.UtcNow;
        await Api.WithDbAsync(async db =>
        {
            for (var i = 0; i < 5; i++)
            {
                db.StripeEvents.Add(Event($"evt_old_{i}", now - TimeSpan.FromDays(91 + i)));
            }

            db.StripeEvents.Add(Event("evt_recent_0", now - TimeSpan.FromDays(89)));
            db.StripeEvents.Add(Event("evt_recent_1", now - TimeSpan.FromDays(1)));
            return await db.SaveChangesAsync();
        });

        await RetentionPassAsync();

        var kept = await Api.WithDbAsync(db => db.StripeEvents.Select(e => e.EventId).OrderBy(id => id).ToListAsync());
        Assert.Equal(["evt_recent_0", "evt_recent_1"], kept);
        Assert.Equal((0, 0), await RetentionPassAsync());
    }

    /// <summary>
    /// The service's own pass runs at start and then hourly; stopped before the test writes its rows, so that only
    /// the test's passes touch them (on a slow machine the pass at start could otherwise hold the job's lock when
    /// the test's pass begins, which then leaves the work to it as to another replica).
    /// </summary>
    private Task StopPeriodicPassAsync() => Api.Services.GetRequiredService<DataRetentionService>().StopAsync(CancellationToken.None);

    private Task<(int Emails, int StripeEvents)> RetentionPassAsync() =>
        Api.Services.GetRequiredService<DataRetentionService>().RunOnceAsync(CancellationToken.None);

    private static StripeEventRecord Event(string id, DateTimeOffset receivedAt) =>
        new() { EventId = id, Type = "checkout.session.completed", Outcome = "applied", ReceivedAt = receivedAt };
}
