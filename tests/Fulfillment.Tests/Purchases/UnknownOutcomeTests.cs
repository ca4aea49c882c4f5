using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

/// <summary>An attempt whose outcome we do not know is resolved by a lookup no earlier than it can have finished at Wren.</summary>
[Collection(BesideTheOthers.Name)] // Wren holds or delays its answers for seconds: mostly waiting
public sealed class UnknownOutcomeTests : FulfillmentScenario
{
    [Fact]
    public async Task A_shutdown_during_a_post_that_Wren_stores_later_leaves_one_Wren_order_after_restart()
    {
        // Our client would wait 20 s; Wren takes 15 s and stores the order even though we have gone.
        void Slow(Dictionary<string, string?> settings)
        {
            settings["Fulfillment:WrenTimeout"] = "00:00:20";
            settings["Fulfillment:UnknownOutcomeSettleTime"] = "00:00:01";
        }

        Wren.State.StoreAfterDelayForNextPosts(1, TimeSpan.FromSeconds(15));
        var orderId = Guid.NewGuid();
        await using (var first = await StartFulfillmentAsync(Slow))
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
            // The scenario: shut down while the POST is at Wren (Wren holds it 15 s before storing the order).
            await Eventually.TrueAsync(() => Wren.State.PostsStarted == 1, because: "the POST reached Wren");
            Assert.Empty(Wren.State.Orders);
        } // StopAsync, as on SIGTERM: the POST is cancelled on our side

        await using var second = await StartFulfillmentAsync(Slow);

        await Eventually.TrueAsync(() => Api.Placed.Any(p => p.OrderId == orderId), TimeSpan.FromSeconds(90), "placed after the restart");
        var order = Assert.Single(Wren.State.Orders);
        Assert.Equal(1, Wren.State.PostsStarted);
        Assert.Equal(order.Id, Assert.Single(Api.Placed).WrenOrderId);
        var row = await second.FulfillmentAsync(orderId);
        Assert.Equal((FulfillmentState.Placed, 1), (row!.State, row.Attempts));
    }

    [Fact]
    public async Task A_live_200_without_an_id_is_looked_up_and_not_taken_as_placed()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.AnswerWithoutIdForNextPosts(1);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(order.Id, Assert.Single(Api.Placed).WrenOrderId);
        Assert.Equal(order.Id, (await fulfillment.FulfillmentAsync(orderId))!.WrenOrderId);
    }

    [Fact]
    public async Task A_408_is_an_unknown_outcome_looked_up_before_any_new_POST()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        // A proxy in front of Wren gave up waiting and answered 408 while Wren went on and stored the order.
        Wren.State.FailNextPosts(1, 408);
        var stored = Wren.State.Seed(2.5m, OffsetFulfillment.NoteFor(orderId), DateTimeOffset.UtcNow);

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        Assert.Equal([408], Wren.State.ReceivedPosts.Select(p => p.Answer));
        Assert.True(Wren.State.LookupsReceived >= 1);
        Assert.Equal(stored.Id, Assert.Single(Api.Placed).WrenOrderId);
        Assert.Single(Wren.State.Orders);
    }

    [Fact]
    public async Task A_live_attempt_of_unknown_outcome_is_looked_up_after_the_instance_is_switched_to_dry_run()
    {
        var orderId = Guid.NewGuid();
        // Wren stores the live order 2 s after the POST arrived, whether or not anyone still waits.
        Wren.State.StoreAfterDelayForNextPosts(1, TimeSpan.FromSeconds(2));
        await using (await StartFulfillmentAsync())
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
            await Eventually.TrueAsync(() => Wren.State.PostsStarted == 1, because: "the live POST reached Wren");
        } // stopped mid-POST: the attempt stays Attempting, its outcome unknown

        await using var dry = await StartFulfillmentAsync(settings => settings["WREN_DRY_RUN"] = "true");

        await PlacedAsync(orderId);
        var live = Assert.Single(Wren.State.Orders);
        var placed = Assert.Single(Api.Placed);
        Assert.Equal((live.Id, false), (placed.WrenOrderId, placed.DryRun));
        Assert.DoesNotContain(Wren.State.ReceivedPosts, p => p.DryRun);
        Assert.Equal(1, Wren.State.PostsStarted);
        Assert.False((await dry.FulfillmentAsync(orderId))!.DryRun);
    }
}
