using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Persistence;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// Messages lost after the outbox handed them over, or never sent at all: each paid order still ends
/// fulfilled with exactly one Wren order, healed by the Api's resend, the consumers' retry policy, or
/// reconciliation with Stripe.
/// </summary>
public sealed class LostMessageTests
{
    private static readonly TimeSpan Healing = TimeSpan.FromSeconds(120);

    private sealed record OrderView(Guid OrderId, string Status, string? WrenOrderId);

    private static Task<OrderView> OrderWhenAsync(PuffinSystem system, string sessionId, string status) =>
        Eventually.ValueAsync(
            async () => (await system.ApiClient.GetFromJsonAsync<OrderView>($"/api/checkout/session/{sessionId}"))!,
            order => order.Status == status,
            Healing,
            $"the order becomes {status}");

    private static async Task<T> ApiDbAsync<T>(PuffinSystem system, Func<ApiDbContext, Task<T>> query)
    {
        await using var scope = system.Api.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<ApiDbContext>());
    }

    /// <summary>
    /// A system that resends unanswered payments after 2 s, and one order paid while Fulfillment is away:
    /// its PaymentCompleted waits in Fulfillment's queue when this returns.
    /// </summary>
    private static async Task<(PuffinSystem System, CheckoutSession Session)> PaidWhileFulfillmentIsAwayAsync(RabbitMqBroker broker,
        Action<Dictionary<string, string?>>? configureFulfillment = null)
    {
        var system = await PuffinSystem.StartAsync(apiSettings: new Dictionary<string, string?>
        {
            ["PAID_ORDER_RESEND_AFTER"] = "00:00:02",
        }, configureFulfillment: configureFulfillment);
        var session = await system.CreateSessionAsync(1m);
        await system.StopFulfillmentAsync();
        using (var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session))
        {
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        }

        await Eventually.TrueAsync(async () => await broker.QueueDepthAsync(system.VirtualHost, "payment-completed") >= 1,
            TimeSpan.FromSeconds(30), "PaymentCompleted waits in Fulfillment's queue");
        return (system, session);
    }

    [Fact]
    public async Task A_PaymentCompleted_purged_from_its_queue_is_resent_and_the_order_ends_fulfilled()
    {
        var broker = await RabbitMqBroker.Shared;
        var (system, session) = await PaidWhileFulfillmentIsAwayAsync(broker);
        await using var _ = system;
        await broker.PurgeQueueAsync(system.VirtualHost, "payment-completed");
        await system.StartFulfillmentAsync();

        var order = await OrderWhenAsync(system, session.SessionId, "fulfilled");
        Assert.Equal(Assert.Single(system.Wren.State.Orders).Id, order.WrenOrderId);
        Assert.True(await ApiDbAsync(system, db => db.Orders.Where(o => o.Id == session.OrderId).Select(o => o.PaymentCompletedResends).SingleAsync()) >= 1);
    }

    [Fact]
    public async Task An_OffsetOrderPlaced_lost_on_its_way_to_the_Api_is_published_again_after_the_resend_and_nothing_is_bought_twice()
    {
        var broker = await RabbitMqBroker.Shared;
        // Fulfillment buys while the Api is away: without the refund check, which would hold the purchase until the Api answers.
        var (system, session) = await PaidWhileFulfillmentIsAwayAsync(broker, settings => settings["API_INTERNAL_URLS"] = null);
        await using var _ = system;

        // The Api is away when Fulfillment reports the purchase, and the report is then lost.
        await system.StopApiAsync();
        await system.StartFulfillmentAsync();
        await Eventually.TrueAsync(async () => await broker.QueueDepthAsync(system.VirtualHost, "offset-order-placed") >= 1,
            Healing, "OffsetOrderPlaced waits in the Api's queue");
        await broker.PurgeQueueAsync(system.VirtualHost, "offset-order-placed");
        var bought = Assert.Single(system.Wren.State.Orders);

        await system.StartApiAsync();

        var order = await OrderWhenAsync(system, session.SessionId, "fulfilled");
        Assert.Equal(bought.Id, order.WrenOrderId);
        Assert.Single(system.Wren.State.Orders);
        Assert.True(await ApiDbAsync(system, db => db.Orders.Where(o => o.Id == session.OrderId).Select(o => o.PaymentCompletedResends).SingleAsync()) >= 1);
    }

    [Fact]
    public async Task A_PaymentCompleted_meeting_a_ten_second_database_outage_in_Fulfillment_is_retried_until_fulfilled()
    {
        var outage = new DatabaseOutage(TimeProvider.System);
        var broker = await RabbitMqBroker.Shared;
        await using var system = await PuffinSystem.StartAsync(
            configureFulfillmentServices: services => services.AddSingleton<IInterceptor>(outage));
        var session = await system.CreateSessionAsync(1m);

        outage.Begin(TimeSpan.FromSeconds(10));
        using (var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session))
        {
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        }

        var order = await OrderWhenAsync(system, session.SessionId, "fulfilled");
        Assert.True(outage.FailedCommands > 0, "the outage struck Fulfillment");
        Assert.Equal(Assert.Single(system.Wren.State.Orders).Id, order.WrenOrderId);
        Assert.Equal(0, await broker.QueueDepthAsync(system.VirtualHost, "payment-completed_error") ?? 0);
    }

    [Fact]
    public async Task A_payment_whose_webhook_never_arrives_is_found_by_reconciliation_and_the_late_webhook_changes_nothing()
    {
        await using var system = await PuffinSystem.StartAsync(apiSettings: new Dictionary<string, string?>
        {
            ["STRIPE_RECONCILE_AFTER"] = "00:00:00",
            ["STRIPE_RECONCILE_INTERVAL"] = "00:00:01",
        });
        system.StripeOptions.DeliverWebhooks = false;
        var session = await system.CreateSessionAsync(1m);

        Assert.NotNull(system.Stripe.Services.GetRequiredService<HostedCheckoutSessions>()
            .PayByCard(session.SessionId, new CheckoutCustomer("captain@example.com", "Captain")));

        var order = await OrderWhenAsync(system, session.SessionId, "fulfilled");
        Assert.Equal(Assert.Single(system.Wren.State.Orders).Id, order.WrenOrderId);
        Assert.Empty(system.StripeEvents.Attempts);

        // Stripe's endpoint comes back and delivers the event it held: nothing changes, nothing is sent again.
        var before = await ApiDbAsync(system, db => db.Orders.AsNoTracking().SingleAsync(o => o.Id == session.OrderId));
        var held = Assert.Single(system.StripeEvents.EventsFor(session.SessionId), e => e.Type == "checkout.session.completed");
        using (var late = await system.DeliverAsync(held.Json))
        {
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        }

        var after = await ApiDbAsync(system, db => db.Orders.AsNoTracking().SingleAsync(o => o.Id == session.OrderId));
        Assert.Equal((before.Status, before.UpdatedAt), (after.Status, after.UpdatedAt));
        Assert.Equal(1, await ApiDbAsync(system, db => db.OutboxMessages.CountAsync(m => m.MessageType == "PaymentCompleted")));
        Assert.Single(system.Wren.State.ReceivedPosts);
    }
}
