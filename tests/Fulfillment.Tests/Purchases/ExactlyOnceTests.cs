using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

public sealed class ExactlyOnceTests : FulfillmentScenario
{
    [Fact]
    public async Task The_same_message_delivered_three_times_places_one_Wren_order()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        var payment = TestBus.Payment(orderId);
        var messageId = Guid.NewGuid();

        for (var i = 0; i < 3; i++)
        {
            await Api.PublishAsync(payment, messageId);
        }

        await PlacedAsync(orderId);
        await Eventually.TrueAsync(() => Deliveries.Consumed == 3, because: "all three deliveries were handled");
        var order = Assert.Single(Wren.State.Orders);
        Assert.Equal(OffsetFulfillment.NoteFor(orderId), order.Note);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(1, await fulfillment.InboxCountAsync());
        var placed = Assert.Single(Api.Placed);
        Assert.Equal(order.Id, placed.WrenOrderId);
        Assert.False(placed.DryRun);
        Assert.Equal(100_428, placed.AmountCharged); // ceil(2.5 × 401.71 × 100)
    }

    [Fact]
    public async Task Two_messages_for_one_order_place_one_Wren_order()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await PlacedAsync(orderId);
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await Eventually.TrueAsync(() => Deliveries.Consumed == 2, because: "both messages were handled");
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(2, await fulfillment.InboxCountAsync());
        // The second announcement is answered with the recorded outcome (OutcomeRepublishTests), never a second order.
        await Eventually.TrueAsync(() => Api.Placed.Count == 2, because: "the outcome is published again");
        Assert.All(Api.Placed, p => Assert.Equal(order.Id, p.WrenOrderId));
    }

    [Fact]
    public async Task Deliveries_processed_at_the_same_moment_place_one_Wren_order()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        var payment = TestBus.Payment(orderId);
        var sameId = Guid.NewGuid();

        // The consumer takes up to 8 messages at once: duplicates and rivals race in the inbox transaction.
        await Task.WhenAll(
            Api.PublishAsync(payment, sameId), Api.PublishAsync(payment, sameId), Api.PublishAsync(payment, sameId),
            Api.PublishAsync(payment, Guid.NewGuid()), Api.PublishAsync(payment, Guid.NewGuid()), Api.PublishAsync(payment, Guid.NewGuid()));

        await PlacedAsync(orderId);
        await Eventually.TrueAsync(() => Deliveries.Consumed == 6, because: "all six deliveries were handled");
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(4, await fulfillment.InboxCountAsync());
        // A rival handled after the placement republishes the same outcome: never a different order.
        Assert.All(Api.Placed, p => Assert.Equal(order.Id, p.WrenOrderId));
    }

    [Fact]
    public async Task Wren_answering_503_three_times_ends_with_one_order()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(3, 503);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var order = Assert.Single(Wren.State.Orders);
        Assert.Equal([503, 503, 503, 200], Wren.State.ReceivedPosts.Select(p => p.Answer));
        var row = await fulfillment.FulfillmentAsync(orderId);
        Assert.Equal(FulfillmentState.Placed, row!.State);
        Assert.Equal(4, row.Attempts);
        Assert.Equal(order.Id, row.WrenOrderId);
    }

    [Fact]
    public async Task An_order_stored_by_Wren_whose_response_was_lost_is_found_by_note_and_not_posted_again()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.DropConnectionAfterStoringNextPosts(1);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        var placed = Assert.Single(Api.Placed);
        Assert.Equal(order.Id, placed.WrenOrderId);
    }

    [Fact]
    public async Task A_failing_lookup_is_retried_and_never_replaced_by_a_blind_post()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.DropConnectionAfterStoringNextPosts(1);
        Wren.State.FailNextLookups(2, 503);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
    }

    [Fact]
    public async Task A_timed_out_post_is_resolved_by_note_before_posting_again()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["Fulfillment:WrenTimeout"] = "00:00:00.300");
        Wren.State.DelayNextPosts(1, TimeSpan.FromSeconds(3));
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        // The slow request was abandoned by us and by the sandbox: the lookup found nothing, one new POST placed it.
        var order = Assert.Single(Wren.State.Orders);
        Assert.Equal(order.Id, Assert.Single(Api.Placed).WrenOrderId);
        var row = await fulfillment.FulfillmentAsync(orderId);
        Assert.Equal(2, row!.Attempts);
    }

    [Fact]
    public async Task A_process_stopped_after_Wren_answered_and_before_the_commit_places_one_order_after_restart()
    {
        var death = new ProcessDeathInterceptor();
        var orderId = Guid.NewGuid();
        await using (var first = await StartFulfillmentAsync(services: s => s.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(death)))
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
            await Eventually.TrueAsync(() => death.Dead && Wren.State.Orders.Count == 1, because: "Wren created the order and the process died");
            Assert.Equal(FulfillmentState.Attempting, (await first.FulfillmentAsync(orderId))!.State);
        }

        Assert.Empty(Api.Placed);
        await using var second = await StartFulfillmentAsync();

        await PlacedAsync(orderId);
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(order.Id, Assert.Single(Api.Placed).WrenOrderId);
    }
}
