using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// Refunds and disputes made in the Stripe sandbox (as from Stripe's dashboard or the customer's bank), through
/// the signed webhook, the Api, RabbitMQ and Fulfillment: the money and the offset never disagree unseen.
/// </summary>
public sealed class RefundAndDisputeTests
{
    /// <summary>The admin order view: attention is for operators only.</summary>
    private sealed record OrderView(Guid OrderId, string Status, string? WrenOrderId, long AmountTotal, long AmountRefunded, bool Disputed, List<AttentionItem> Attention)
    {
        /// <summary>The open items' sentences joined by "; ", null when none is open.</summary>
        public string? AttentionText => Attention.Count == 0 ? null : string.Join("; ", Attention.Select(item => item.Text));
    }

    private sealed record AttentionItem(long Id, string Text);

    private sealed record AdminOrderDetail(OrderView Order);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_refund_before_the_offset_is_bought_ends_refunded_and_the_offset_is_never_bought()
    {
        // Wren's first answer is 429 (nothing created) and the retry waits a minute: the refund lands in between.
        await using var system = await PuffinSystem.StartAsync(configureFulfillment: settings => settings["Fulfillment:RetryDelays:0"] = "00:01:00");
        system.Wren.State.FailNextPosts(1, 429);
        var session = await system.CreateSessionAsync(2.5m);
        Pay(system, session);
        await Eventually.TrueAsync(async () => await FulfillmentAsync(system, session.OrderId) is { State: FulfillmentState.Scheduled, Attempts: 1 },
            Patience, "the refused first attempt");

        Assert.NotNull(Payments(system).Refund(session.SessionId));

        var order = await OrderWhenAsync(system, session, o => o.Status == "refunded");
        Assert.Equal((order.AmountTotal, (string?)null), (order.AmountRefunded, order.AttentionText));
        await Eventually.TrueAsync(async () => (await FulfillmentAsync(system, session.OrderId))!.State == FulfillmentState.Cancelled, Patience,
            "Fulfillment cancels the purchase");
        Assert.Empty(system.Wren.State.Orders);
        Assert.Single(system.Wren.State.ReceivedPosts);
    }

    [Fact]
    public async Task A_refund_after_the_offset_was_bought_keeps_the_Wren_order_and_asks_an_operator()
    {
        await using var system = await PuffinSystem.StartAsync();
        var session = await system.CreateSessionAsync(1m);
        Pay(system, session);
        var fulfilled = await OrderWhenAsync(system, session, o => o.Status == "fulfilled");

        Assert.NotNull(Payments(system).Refund(session.SessionId));

        var order = await OrderWhenAsync(system, session, o => o.Status == "refunded");
        Assert.Equal(fulfilled.WrenOrderId, order.WrenOrderId);
        Assert.Equal($"offset {fulfilled.WrenOrderId} bought for a refunded payment", order.AttentionText);
        await Eventually.TrueAsync(async () => (await FulfillmentAsync(system, session.OrderId))!.RefundedAt is not null, Patience,
            "Fulfillment records the refund");
        Assert.Equal(FulfillmentState.Placed, (await FulfillmentAsync(system, session.OrderId))!.State);
        Assert.Single(system.Wren.State.Orders);
    }

    [Fact]
    public async Task A_partial_refund_and_a_dispute_reach_the_order_without_changing_its_status()
    {
        await using var system = await PuffinSystem.StartAsync();
        var session = await system.CreateSessionAsync(1m);
        Pay(system, session);
        await OrderWhenAsync(system, session, o => o.Status == "fulfilled");

        Assert.NotNull(Payments(system).Refund(session.SessionId, 1000));
        var partial = await OrderWhenAsync(system, session, o => o.AmountRefunded == 1000);
        Assert.Contains($"partially refunded (1000 of {session.AmountTotal} cents)", partial.AttentionText);

        Assert.NotNull(Payments(system).OpenDispute(session.SessionId));
        var disputed = await OrderWhenAsync(system, session, o => o.Disputed);
        Assert.Contains("payment disputed", disputed.AttentionText);

        Assert.NotNull(Payments(system).CloseDispute(session.SessionId, won: true));
        var closed = await OrderWhenAsync(system, session, o => !o.Disputed);
        Assert.Contains("closed: won", closed.AttentionText);
        Assert.Equal("fulfilled", closed.Status);
        Assert.Single(system.Wren.State.Orders);
    }

    private static void Pay(PuffinSystem system, CheckoutSession session) =>
        Assert.NotNull(system.Stripe.Services.GetRequiredService<HostedCheckoutSessions>()
            .PayByCard(session.SessionId, new CheckoutCustomer("captain@example.com", "Test Captain")));

    private static PaidPayments Payments(PuffinSystem system) => system.Stripe.Services.GetRequiredService<PaidPayments>();

    private static Task<OrderView> OrderWhenAsync(PuffinSystem system, CheckoutSession session, Func<OrderView, bool> condition) =>
        Eventually.ValueAsync(
            async () => (await system.AdminClient.GetFromJsonAsync<AdminOrderDetail>($"/api/admin/orders/{session.OrderId}"))!.Order,
            condition, Patience, "the order reaches the expected state");

    private static async Task<OffsetFulfillment?> FulfillmentAsync(PuffinSystem system, Guid orderId)
    {
        await using var scope = system.Fulfillment.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().Fulfillments.AsNoTracking()
            .SingleOrDefaultAsync(f => f.OrderId == orderId);
    }
}
