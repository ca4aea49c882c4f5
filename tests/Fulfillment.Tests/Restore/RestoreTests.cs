using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Restore;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Restore;

/// <summary>
/// After Fulfillment's database is restored from a backup, what was bought since the backup is not in it; the
/// <c>restored</c> command makes every order that predates the restore look its note up at Wren before its first POST,
/// so no order is bought twice when its payment comes again (issue 20, item 4).
/// </summary>
[Collection(BesideTheOthers.Name)] // condition-based: each test waits for its own order's outcome
public sealed class RestoreTests : FulfillmentScenario
{
    [Fact]
    public async Task An_order_bought_after_the_backup_is_found_by_its_note_when_its_payment_comes_again_after_the_restore()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.CreateVersion7();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await PlacedAsync(orderId);
        var bought = Assert.Single(Wren.State.Orders);

        // The restore: the backup was taken before this order was bought, so the restored database has no fulfilment for it.
        await using (var scope = fulfillment.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().Fulfillments.Where(f => f.OrderId == orderId).ExecuteDeleteAsync();
        }

        var (restoredAt, _) = await RestoredCommand.RecordAsync(fulfillment.Services, CancellationToken.None);
        // The restored Api learns the payment again (Stripe's retry, its reconciler) and stamps it with that later time.
        var again = TestBus.Payment(orderId) with { PaidAt = restoredAt.AddMinutes(1) };
        await Api.PublishAsync(again, Guid.NewGuid());

        await Eventually.TrueAsync(() => Api.Placed.Count(p => p.OrderId == orderId) == 2, because: "the order is placed again, with the Wren order found by its note");
        Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.All(Api.Placed, p => Assert.Equal(bought.Id, p.WrenOrderId));
        var row = await fulfillment.FulfillmentAsync(orderId);
        Assert.Equal((FulfillmentState.Placed, bought.Id, 0), (row!.State, row.WrenOrderId, row.Attempts));
    }

    [Fact]
    public async Task A_fulfilment_the_backup_holds_still_scheduled_is_looked_up_before_its_POST_after_the_restore()
    {
        var orderId = Guid.CreateVersion7();
        await using (var first = await StartFulfillmentAsync())
        {
            // The backup's moment: the payment is scheduled and its POST not yet sent (Wren held off for an hour).
            first.Services.GetRequiredService<WrenRateLimit>().Pause(DateTimeOffset.UtcNow.AddHours(1), "held for the test");
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
            await Eventually.TrueAsync(async () => await first.FulfillmentAsync(orderId) is { State: FulfillmentState.Scheduled }, because: "the payment is scheduled");

            // Between the backup and the restore the lost database bought it; the restored one still has it scheduled.
            Wren.State.Seed(2.5m, OffsetFulfillment.NoteFor(orderId), DateTimeOffset.UtcNow);
            var (_, waiting) = await RestoredCommand.RecordAsync(first.Services, CancellationToken.None);
            Assert.Equal(1, waiting);
        }

        await using var restarted = await StartFulfillmentAsync();

        await PlacedAsync(orderId);
        var bought = Assert.Single(Wren.State.Orders);
        Assert.Empty(Wren.State.ReceivedPosts);
        Assert.Equal(bought.Id, Assert.Single(Api.Placed).WrenOrderId);
        Assert.Equal(bought.Id, (await restarted.FulfillmentAsync(orderId))!.WrenOrderId);
    }

    [Fact]
    public async Task An_order_created_and_paid_after_the_restore_is_posted_without_a_lookup()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var (restoredAt, _) = await RestoredCommand.RecordAsync(fulfillment.Services, CancellationToken.None);
        var orderId = Guid.CreateVersion7(restoredAt.AddMilliseconds(1));

        await Api.PublishAsync(TestBus.Payment(orderId) with { PaidAt = restoredAt.AddSeconds(1) }, Guid.NewGuid());

        await PlacedAsync(orderId);
        Assert.Equal(0, Wren.State.LookupsReceived);
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(order.Id, Assert.Single(Api.Placed).WrenOrderId);
    }

    [Fact]
    public async Task An_order_that_predates_the_restore_and_is_not_at_Wren_is_looked_up_then_bought_once()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var (restoredAt, _) = await RestoredCommand.RecordAsync(fulfillment.Services, CancellationToken.None);
        var orderId = Guid.CreateVersion7(restoredAt.AddMinutes(-5));

        await Api.PublishAsync(TestBus.Payment(orderId) with { PaidAt = restoredAt.AddSeconds(-1) }, Guid.NewGuid());

        await PlacedAsync(orderId);
        Assert.Equal(1, Wren.State.LookupsReceived);
        Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
    }
}
