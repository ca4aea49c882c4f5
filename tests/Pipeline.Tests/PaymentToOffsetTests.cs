using System.Net;
using System.Net.Http.Json;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// The whole pipeline over HTTP: checkout session → signed Stripe webhook → outbox → RabbitMQ →
/// Fulfillment → Wren → outbox → RabbitMQ → Api, ending with the order fulfilled.
/// </summary>
public sealed class PaymentToOffsetTests
{
    private sealed record OrderView(Guid OrderId, string SessionId, string Status, decimal Tons, int PortfolioId,
        long AmountTotal, string Currency, string? WrenOrderId, bool? DryRun);

    private static Task<OrderView> OrderWhenAsync(PuffinSystem system, string sessionId, string status) =>
        Eventually.ValueAsync(
            async () => (await system.ApiClient.GetFromJsonAsync<OrderView>($"/api/checkout/session/{sessionId}"))!,
            order => order.Status == status,
            TimeSpan.FromSeconds(60),
            $"the order becomes {status}");

    [Fact]
    public async Task A_paid_checkout_ends_fulfilled_with_the_Wren_order_id_and_one_Wren_order()
    {
        await using var system = await PuffinSystem.StartAsync();
        var session = await system.CreateSessionAsync(2.5m);
        Assert.Equal(100_428, session.AmountTotal); // ceil(2.5 × 401.71 × 100)

        using var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session);
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);

        var order = await OrderWhenAsync(system, session.SessionId, "fulfilled");
        var wrenOrder = Assert.Single(system.Wren.State.Orders);
        Assert.Equal(wrenOrder.Id, order.WrenOrderId);
        Assert.Equal($"puffin-offset order {session.OrderId}", wrenOrder.Note);
        Assert.Equal(2.5m, wrenOrder.Tons);
        Assert.False(order.DryRun);
    }

    [Fact]
    public async Task Stripe_redelivering_and_replaying_events_still_buys_one_offset()
    {
        await using var system = await PuffinSystem.StartAsync();
        var session = await system.CreateSessionAsync(1m);

        // A delayed payment method: completed (unpaid), then succeeded — each delivered twice, plus a
        // completed (paid) for the same session under another event id, as a confused retry would.
        var deliveries = new[]
        {
            (StripeEventFixture.CompletedUnpaid, (string?)null),
            (StripeEventFixture.CompletedUnpaid, null),
            (StripeEventFixture.AsyncSucceeded, null),
            (StripeEventFixture.AsyncSucceeded, null),
            (StripeEventFixture.CompletedPaid, "evt_TESTpipelineOtherId"),
        };
        foreach (var (fixture, eventId) in deliveries)
        {
            using var response = await system.DeliverAsync(fixture, session, eventId);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var order = await OrderWhenAsync(system, session.SessionId, "fulfilled");
        Assert.NotNull(order.WrenOrderId);
        // Late events after fulfilment change nothing either.
        using (var late = await system.DeliverAsync(StripeEventFixture.Expired, session))
        {
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        }

        Assert.Equal("fulfilled", (await system.ApiClient.GetFromJsonAsync<OrderView>($"/api/checkout/session/{session.SessionId}"))!.Status);
        Assert.Single(system.Wren.State.Orders);
        Assert.Single(system.Wren.State.ReceivedPosts);
    }

    [Fact]
    public async Task A_dry_run_fulfils_the_order_without_a_Wren_order()
    {
        await using var system = await PuffinSystem.StartAsync(dryRun: true);
        var session = await system.CreateSessionAsync(2m);

        using var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session);

        var order = await OrderWhenAsync(system, session.SessionId, "fulfilled");
        Assert.True(order.DryRun);
        Assert.Null(order.WrenOrderId);
        Assert.Empty(system.Wren.State.Orders);
        Assert.True(Assert.Single(system.Wren.State.ReceivedPosts).DryRun);
    }
}
