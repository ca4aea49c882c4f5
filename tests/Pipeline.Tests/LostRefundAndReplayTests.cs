using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// An OrderRefunded or a replay request lost after the outbox handed it over (its queue purged while Fulfillment
/// is away): the Api asks again on the PAID_ORDER_RESEND_AFTER schedule until Fulfillment answers, and stops then.
/// </summary>
public sealed class LostRefundAndReplayTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string?> ResendAfterTwoSeconds = new() { ["PAID_ORDER_RESEND_AFTER"] = "00:00:02" };

    private sealed record OrderView(Guid OrderId, string Status, string? WrenOrderId);

    [Fact]
    public async Task An_OrderRefunded_purged_while_Fulfillment_is_away_is_resent_and_the_purchase_in_Wren_backoff_is_cancelled_without_an_order()
    {
        var broker = await RabbitMqBroker.Shared;
        // Wren's first answer is 429 (nothing created) and the retry waits a minute: without the refund it would buy then.
        await using var system = await PuffinSystem.StartAsync(apiSettings: ResendAfterTwoSeconds,
            configureFulfillment: settings => settings["Fulfillment:RetryDelays:0"] = "00:01:00");
        system.Wren.State.FailNextPosts(1, 429);
        var session = await system.CreateSessionAsync(2.5m);
        Assert.NotNull(system.Stripe.Services.GetRequiredService<HostedCheckoutSessions>()
            .PayByCard(session.SessionId, new CheckoutCustomer("captain@example.com", "Test Captain")));
        await Eventually.TrueAsync(async () => await FulfillmentAsync(system, session.OrderId) is { State: FulfillmentState.Scheduled, Attempts: 1 },
            Patience, "the refused first attempt, in backoff");

        await system.StopFulfillmentAsync();
        Assert.NotNull(system.Stripe.Services.GetRequiredService<PaidPayments>().Refund(session.SessionId));
        await StatusAsync(system, session, "refunded");
        await Eventually.TrueAsync(async () => await broker.QueueDepthAsync(system.VirtualHost, "order-refunded") >= 1,
            TimeSpan.FromSeconds(30), "OrderRefunded waits in Fulfillment's queue");
        await broker.PurgeQueueAsync(system.VirtualHost, "order-refunded");
        await system.StartFulfillmentAsync();

        // Well before the retry a minute after the first attempt.
        await Eventually.TrueAsync(async () => (await FulfillmentAsync(system, session.OrderId))!.State == FulfillmentState.Cancelled,
            TimeSpan.FromSeconds(40), "the resent refund cancels the purchase");
        var order = await Eventually.ValueAsync(() => OrderInDbAsync(system, session.OrderId), o => o.RefundAcknowledgedAt is not null,
            Patience, "Fulfillment's acknowledgement reaches the Api");
        Assert.True(order.OrderRefundedResends >= 1);
        Assert.Empty(system.Wren.State.Orders);
        Assert.Single(system.Wren.State.ReceivedPosts);

        await AssertNoMoreResendsAsync(system, order, o => o.NextOrderRefundedResendAt, "OrderRefunded");
        Assert.Equal(order.OrderRefundedResends, (await OrderInDbAsync(system, session.OrderId)).OrderRefundedResends);
    }

    [Fact]
    public async Task A_replay_request_purged_while_Fulfillment_is_away_is_resent_until_its_outcome_arrives_then_no_more()
    {
        var broker = await RabbitMqBroker.Shared;
        await using var system = await PuffinSystem.StartAsync(apiSettings: ResendAfterTwoSeconds);
        system.Wren.State.FailNextPosts(1, 402); // out of credits: refused for good
        var session = await system.CreateSessionAsync(1m);
        using (var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session))
        {
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        }

        await StatusAsync(system, session, "fulfillment_failed");

        await system.StopFulfillmentAsync();
        using (var replay = await system.AdminClient.PostAsJsonAsync($"/api/admin/orders/{session.OrderId}/replay", new { note = "credits topped up" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        }

        await Eventually.TrueAsync(async () => await broker.QueueDepthAsync(system.VirtualHost, "fulfillment-replay-requested") >= 1,
            TimeSpan.FromSeconds(30), "the replay request waits in Fulfillment's queue");
        await broker.PurgeQueueAsync(system.VirtualHost, "fulfillment-replay-requested");
        await system.StartFulfillmentAsync();

        var fulfilled = await StatusAsync(system, session, "fulfilled");
        Assert.Equal(Assert.Single(system.Wren.State.Orders).Id, fulfilled.WrenOrderId);
        Assert.Equal([402, 200], system.Wren.State.ReceivedPosts.Select(p => p.Answer));
        var order = await OrderInDbAsync(system, session.OrderId);
        Assert.True(order.ReplayRequestResends >= 1);
        Assert.Null(order.PendingReplayRequestId);

        await AssertNoMoreResendsAsync(system, order, o => o.NextReplayRequestResendAt, "FulfillmentReplayRequested");
        Assert.Single(system.Wren.State.Orders);
    }

    /// <summary>Once the answer is in, a pass after the next resend would have been due sends nothing more.</summary>
    private static async Task AssertNoMoreResendsAsync(PuffinSystem system, Order answered, Func<Order, DateTimeOffset?> nextResendAt, string messageType)
    {
        var sent = await ApiDbAsync(system, db => db.OutboxMessages.CountAsync(m => m.MessageType == messageType));
        var due = nextResendAt(answered) ?? DateTimeOffset.UtcNow;
        await Eventually.TrueAsync(() => Task.FromResult(DateTimeOffset.UtcNow > due), Patience, "the next resend would be due");

        await system.Api.Services.GetRequiredService<PaidOrderResender>().RunOnceAsync(CancellationToken.None);

        Assert.Equal(sent, await ApiDbAsync(system, db => db.OutboxMessages.CountAsync(m => m.MessageType == messageType)));
    }

    private static Task<OrderView> StatusAsync(PuffinSystem system, CheckoutSession session, string status) =>
        Eventually.ValueAsync(
            async () => (await system.ApiClient.GetFromJsonAsync<OrderView>($"/api/orders/{session.OrderId}"))!,
            order => order.Status == status, Patience, $"the order becomes {status}");

    private static Task<Order> OrderInDbAsync(PuffinSystem system, Guid orderId) =>
        ApiDbAsync(system, db => db.Orders.AsNoTracking().SingleAsync(o => o.Id == orderId));

    private static async Task<T> ApiDbAsync<T>(PuffinSystem system, Func<ApiDbContext, Task<T>> query)
    {
        await using var scope = system.Api.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<ApiDbContext>());
    }

    private static async Task<OffsetFulfillment?> FulfillmentAsync(PuffinSystem system, Guid orderId)
    {
        await using var scope = system.Fulfillment.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().Fulfillments.AsNoTracking()
            .SingleOrDefaultAsync(f => f.OrderId == orderId);
    }
}
