using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Replays;

/// <summary>An operator's replay arrives as <c>FulfillmentReplayRequested</c> from the Api (through the inbox).</summary>
[Collection(BesideTheOthers.Name)] // condition-based: each test waits for its own order's outcome
public sealed class ReplayTests : FulfillmentScenario
{
    [Fact]
    public async Task A_replay_request_places_a_failed_fulfilment_once_the_cause_is_fixed()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(1, 402);
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await FailedAsync(orderId);
        Assert.Contains("top up credits", (await fulfillment.FulfillmentAsync(orderId))!.LastError);

        await Api.RequestReplayAsync(orderId);

        await PlacedAsync(orderId);
        var wrenOrder = Assert.Single(Wren.State.Orders);
        Assert.Equal([402, 200], Wren.State.ReceivedPosts.Select(p => p.Answer));
        Assert.Equal(wrenOrder.Id, Assert.Single(Api.Placed).WrenOrderId);
    }

    [Fact]
    public async Task A_replay_finds_an_offset_bought_by_hand_at_Wren_by_its_note_and_posts_nothing()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(1, 402);
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await FailedAsync(orderId);
        // The operator topped up and bought the offset by hand at Wren, with the order's note.
        var byHand = await BuyAtWrenAsync(OffsetFulfillment.NoteFor(orderId));

        await Api.RequestReplayAsync(orderId);

        await PlacedAsync(orderId);
        Assert.Equal(byHand, Assert.Single(Api.Placed).WrenOrderId);
        Assert.Single(Wren.State.Orders);
        Assert.Equal(2, Wren.State.ReceivedPosts.Count); // the refused one and the operator's, none from the replay
    }

    [Fact]
    public async Task A_replay_after_an_unknown_outcome_looks_the_order_up_first()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["Fulfillment:RetryHorizon"] = "00:00:00.500");
        // Wren stores the order but the answer is lost, and the lookups keep failing until the horizon.
        Wren.State.DropConnectionAfterStoringNextPosts(1);
        Wren.State.FailNextLookups(1000, 503);
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await FailedAsync(orderId);
        Assert.Contains("outcome is unknown", Assert.Single(Api.Failed).Reason);

        Wren.State.ClearFaults();
        await Api.RequestReplayAsync(orderId);

        await PlacedAsync(orderId);
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(order.Id, Assert.Single(Api.Placed).WrenOrderId);
    }

    [Fact]
    public async Task A_replay_request_sent_again_after_its_replay_failed_publishes_the_failure_again_and_does_not_replay_twice()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(2, 402);
        var orderId = Guid.NewGuid();
        var requestId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await FailedAsync(orderId);
        await Api.RequestReplayAsync(orderId, requestId);
        await Eventually.TrueAsync(() => Api.Failed.Count == 2, TimeSpan.FromSeconds(30), "the replay fails again");

        // Its OffsetOrderFailed did not reach the Api, which resends the same request.
        await Api.RequestReplayAsync(orderId, requestId);

        await Eventually.TrueAsync(() => Api.Failed.Count == 3, TimeSpan.FromSeconds(30), "the failure is published again");
        Assert.Equal(Api.Failed.ElementAt(1) with { FailedAt = default }, Api.Failed.ElementAt(2) with { FailedAt = default }); // PostgreSQL keeps microseconds
        Assert.Equal([402, 402], Wren.State.ReceivedPosts.Select(p => p.Answer));
        Assert.Equal(FulfillmentState.Failed, (await fulfillment.FulfillmentAsync(orderId))!.State);

        // A new request from an operator replays again.
        await Api.RequestReplayAsync(orderId, Guid.NewGuid());
        await PlacedAsync(orderId);
        Assert.Equal([402, 402, 200], Wren.State.ReceivedPosts.Select(p => p.Answer));
    }

    [Fact]
    public async Task A_replay_of_a_placed_order_publishes_its_outcome_again_and_buys_nothing()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await PlacedAsync(orderId);

        // The Api still shows fulfillment_failed (it missed the outcome) and an operator replays it.
        await Api.RequestReplayAsync(orderId);

        await Eventually.TrueAsync(() => Api.Placed.Count(p => p.OrderId == orderId) == 2, TimeSpan.FromSeconds(30), "the outcome is published again");
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(Api.Placed.First().WrenOrderId, Api.Placed.Last().WrenOrderId);
    }

    private async Task<string> BuyAtWrenAsync(string note)
    {
        using var http = new HttpClient { BaseAddress = Wren.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FulfillmentTestHost.LiveToken);
        using var response = await http.PostAsJsonAsync("/api/offset-orders", new { tons = 2.5m, portfolioId = 21, note, dryRun = false });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}
