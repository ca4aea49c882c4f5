using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// An operator replays failed fulfilments through the Api's admin endpoints: the Api publishes
/// FulfillmentReplayRequested through its outbox, Fulfillment looks the order up at Wren and places it, and
/// the order ends fulfilled.
/// </summary>
public sealed class OperatorReplayTests
{
    [Fact]
    public async Task Replaying_one_and_then_all_failed_fulfilments_ends_each_order_fulfilled_with_one_Wren_order()
    {
        await using var system = await PuffinSystem.StartAsync();
        system.Wren.State.FailNextPosts(2, 402); // out of credits: refused for good
        var first = await PaidAsync(system, 1m);
        var second = await PaidAsync(system, 2m);
        await StatusAsync(system, first, "fulfillment_failed");
        await StatusAsync(system, second, "fulfillment_failed");

        using (var one = await system.AdminClient.PostAsJsonAsync($"/api/admin/orders/{first.OrderId}/replay", new { note = "credits topped up" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, one.StatusCode);
        }

        var firstOrder = await StatusAsync(system, first, "fulfilled");
        Assert.Equal("fulfillment_failed", (await OrderAsync(system, second)).GetProperty("status").GetString());

        using (var all = await system.AdminClient.PostAsJsonAsync("/api/admin/orders/replay", new { status = "fulfillment_failed" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, all.StatusCode);
            Assert.Equal(1, (await all.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requested").GetInt32());
        }

        var secondOrder = await StatusAsync(system, second, "fulfilled");
        Assert.Equal([402, 402, 200, 200], system.Wren.State.ReceivedPosts.Select(p => p.Answer));
        Assert.Equal(
            new[] { firstOrder.GetProperty("wrenOrderId").GetString(), secondOrder.GetProperty("wrenOrderId").GetString() }.Order(),
            system.Wren.State.Orders.Select(o => o.Id).Order());
        var history = (await system.AdminClient.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{first.OrderId}")).GetProperty("history");
        Assert.Equal("credits topped up", Assert.Single(history.EnumerateArray()).GetProperty("note").GetString());
    }

    private static async Task<CheckoutSession> PaidAsync(PuffinSystem system, decimal tons)
    {
        var session = await system.CreateSessionAsync(tons);
        // Each order's own event id: the fixture's would be a repeat the Api answers without acting.
        using var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session, $"evt_TEST{session.OrderId:N}");
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        return session;
    }

    private static async Task<JsonElement> OrderAsync(PuffinSystem system, CheckoutSession session) =>
        await system.ApiClient.GetFromJsonAsync<JsonElement>($"/api/orders/{session.OrderId}");

    private static Task<JsonElement> StatusAsync(PuffinSystem system, CheckoutSession session, string status) =>
        Eventually.ValueAsync(() => OrderAsync(system, session), order => order.GetProperty("status").GetString() == status,
            TimeSpan.FromSeconds(60), $"order {session.OrderId} becomes {status}");
}
