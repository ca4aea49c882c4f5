using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Messaging;

/// <summary>
/// The Api resends PaymentCompleted (a new message id) while it has heard no outcome: Fulfillment answers
/// with the outcome it recorded, and never buys again.
/// </summary>
public sealed class OutcomeRepublishTests : FulfillmentScenario
{
    [Fact]
    public async Task A_payment_announced_again_for_a_placed_order_republishes_OffsetOrderPlaced_and_buys_nothing()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await PlacedAsync(orderId);

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await Eventually.TrueAsync(() => Api.Placed.Count(p => p.OrderId == orderId) == 2, because: "the recorded outcome is published again");
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.All(Api.Placed, p => Assert.Equal(order.Id, p.WrenOrderId));
        Assert.Equal(1, (await fulfillment.FulfillmentAsync(orderId))!.Attempts);
    }

    [Fact]
    public async Task A_payment_announced_again_for_a_failed_order_republishes_OffsetOrderFailed_and_buys_nothing()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(1, 402);
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await FailedAsync(orderId);

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await Eventually.TrueAsync(() => Api.Failed.Count(p => p.OrderId == orderId) == 2, because: "the recorded outcome is published again");
        Assert.Empty(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(Api.Failed.First().Reason, Api.Failed.Last().Reason);
        Assert.Equal(FulfillmentState.Failed, (await fulfillment.FulfillmentAsync(orderId))!.State);
    }

    [Fact]
    public async Task A_payment_announced_again_for_a_scheduled_order_adds_nothing()
    {
        // Wren says 429 and the next try is an hour away: the fulfilment waits, Scheduled.
        await using var fulfillment = await StartFulfillmentAsync(settings =>
        {
            settings["Fulfillment:RetryDelays:0"] = "01:00:00";
            settings["Fulfillment:RetryHorizon"] = "02:00:00";
        });
        Wren.State.FailNextPosts(1, 429);
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))?.TransientFailures == 1, because: "the 429 is recorded");

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await Eventually.TrueAsync(() => Deliveries.Consumed == 2, because: "the second announcement was handled");
        Assert.Equal(2, await fulfillment.InboxCountAsync());
        var row = await fulfillment.FulfillmentAsync(orderId);
        Assert.Equal((FulfillmentState.Scheduled, 1), (row!.State, row.Attempts));
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Empty(Api.Placed);
        Assert.Empty(Api.Failed);
        await using var scope = fulfillment.Services.CreateAsyncScope();
        Assert.Equal(0, await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().OutboxMessages.CountAsync());
    }
}
