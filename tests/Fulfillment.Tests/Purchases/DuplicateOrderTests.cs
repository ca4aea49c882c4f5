using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

public sealed class DuplicateOrderTests : FulfillmentScenario
{
    [Fact]
    public async Task Two_Wren_orders_with_our_note_keep_the_oldest_record_both_and_are_counted()
    {
        using var duplicates = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.wren.duplicate_orders_detected");
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        // An order with this note already exists (placed an hour ago); the new POST's answer is lost.
        var oldest = Wren.State.Seed(2.5m, OffsetFulfillment.NoteFor(orderId), DateTimeOffset.UtcNow.AddHours(-1));
        Wren.State.DropConnectionAfterStoringNextPosts(1);

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var newer = Assert.Single(Wren.State.Orders, o => o.Id != oldest.Id);
        var placed = Assert.Single(Api.Placed);
        Assert.Equal(oldest.Id, placed.WrenOrderId); // the sandbox lists newest first: not simply the first match
        Assert.Equal([newer.Id], placed.DuplicateWrenOrderIds);
        var row = await fulfillment.FulfillmentAsync(orderId);
        Assert.Equal([oldest.Id, newer.Id], row!.MatchingWrenOrderIds);
        Assert.Equal(1, duplicates.Value);
    }

    [Fact]
    public async Task A_lost_POST_that_Wren_stores_after_the_lookup_missed_it_is_reported_by_the_late_order_check()
    {
        using var duplicates = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.wren.duplicate_orders_detected");
        await using var fulfillment = await StartFulfillmentAsync(settings =>
        {
            settings["Fulfillment:WrenTimeout"] = "00:00:01";
            settings["Fulfillment:LateOrderCheckAfter"] = "00:00:10";
        });
        var orderId = Guid.NewGuid();
        // Wren finishes the first POST 5 s after it arrived: after our 1 s timeout, the lookup by note that found
        // nothing and the second POST (the chaos soak met this under load, with nothing reporting the second order).
        Wren.State.StoreAfterDelayForNextPosts(1, TimeSpan.FromSeconds(5));

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var placed = Api.Placed.First(p => p.OrderId == orderId);
        Assert.Null(placed.DuplicateWrenOrderIds);
        await Eventually.TrueAsync(() => Api.Placed.Any(p => p.OrderId == orderId && p.DuplicateWrenOrderIds is { Count: > 0 }),
            TimeSpan.FromSeconds(60), "the late Wren order is reported");
        var late = Assert.Single(Wren.State.Orders, o => o.Id != placed.WrenOrderId);
        var reported = Api.Placed.Single(p => p.DuplicateWrenOrderIds is { Count: > 0 });
        Assert.Equal(placed.WrenOrderId, reported.WrenOrderId);
        Assert.Equal([late.Id], reported.DuplicateWrenOrderIds);
        var row = await fulfillment.FulfillmentAsync(orderId);
        Assert.False(row!.LateOrderCheckPending);
        Assert.Equal(2, row.MatchingWrenOrderIds.Count);
        Assert.Equal(1, duplicates.Value);
    }
}
