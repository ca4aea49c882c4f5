using PuffinOffset.Fulfillment.Fulfillments;
using PuffinOffset.Fulfillment.Telemetry;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests;

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
}
