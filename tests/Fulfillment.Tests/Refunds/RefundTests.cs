using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Refunds;

/// <summary>OrderRefunded: no Wren POST once Fulfillment knows the payment was refunded, whatever the order of events.</summary>
public sealed class RefundTests : FulfillmentScenario
{
    [Fact]
    public async Task A_refund_that_overtakes_its_payment_means_the_offset_is_never_bought()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        var refundId = Guid.NewGuid();

        await Api.RefundAsync(orderId, refundId);
        await Api.RefundAsync(orderId, refundId); // redelivered: recorded once
        await Eventually.TrueAsync(async () => await fulfillment.FulfillmentAsync(orderId) is not null, because: "the refund is recorded");
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(() => Deliveries.Consumed == 1, because: "the payment was handled");

        Assert.Equal(FulfillmentState.Cancelled, (await fulfillment.FulfillmentAsync(orderId))!.State);
        Assert.Equal(2, await fulfillment.InboxCountAsync());
        Assert.Empty(Wren.State.ReceivedPosts);
        Assert.Empty(Api.Placed);
    }

    [Fact]
    public async Task A_refund_is_acknowledged_and_a_copy_of_it_is_acknowledged_again_and_changes_nothing()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["Fulfillment:RetryDelays:0"] = "00:00:30");
        Wren.State.FailNextPosts(1, 429); // nothing created; the retry waits 30 s
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(async () => await fulfillment.FulfillmentAsync(orderId) is { State: FulfillmentState.Scheduled, Attempts: 1 },
            because: "the first attempt failed and a retry is scheduled");

        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(() => Api.RefundAcknowledgements.Count == 1, TimeSpan.FromSeconds(30), "the refund is acknowledged");
        var cancelled = (await fulfillment.FulfillmentAsync(orderId))!;
        Assert.Equal(FulfillmentState.Cancelled, cancelled.State);
        Assert.Equal((orderId, true, "Cancelled"), Acknowledgement(0));

        // The Api resends a refund it has not heard back about: a new message id, so the inbox lets it through.
        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(() => Api.RefundAcknowledgements.Count == 2, TimeSpan.FromSeconds(30), "the copy is acknowledged again");
        var after = (await fulfillment.FulfillmentAsync(orderId))!;
        Assert.Equal((orderId, true, "Cancelled"), Acknowledgement(1));
        Assert.Equal((cancelled.State, cancelled.Version, cancelled.CancelledAt, cancelled.RefundedAt), (after.State, after.Version, after.CancelledAt, after.RefundedAt));
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Empty(Api.Placed);
    }

    [Fact]
    public async Task A_refund_of_a_placed_order_is_acknowledged_with_its_outcome_published_again()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await PlacedAsync(orderId);

        // Had the OffsetOrderPlaced been lost, the refunded order would never learn that its offset was bought.
        await Api.RefundAsync(orderId);

        await Eventually.TrueAsync(() => Api.RefundAcknowledgements.Count == 1 && Api.Placed.Count == 2, TimeSpan.FromSeconds(30),
            "the refund is acknowledged and the outcome published again");
        Assert.Equal((orderId, false, "Placed"), Acknowledgement(0));
        Assert.Equal((Api.Placed.First().WrenOrderId, Api.Placed.First().AmountCharged), (Api.Placed.Last().WrenOrderId, Api.Placed.Last().AmountCharged));
        Assert.Single(Wren.State.ReceivedPosts);
    }

    [Fact]
    public async Task A_refund_during_a_post_is_acknowledged_only_once_the_outcome_is_known()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var release = Wren.State.HoldNextPost();
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))?.State == FulfillmentState.Attempting);

        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))!.RefundedAt is not null, because: "the refund is recorded");
        Assert.Equal(2, await fulfillment.InboxCountAsync()); // the payment and the refund
        Assert.Empty(Api.RefundAcknowledgements);
        release.SetResult();
        await PlacedAsync(orderId);

        // The Api asks again, as it does until answered; now the answer is final.
        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(() => Api.RefundAcknowledgements.Count == 1, TimeSpan.FromSeconds(30), "the second refund is acknowledged");
        Assert.Equal((orderId, false, "Placed"), Acknowledgement(0));
        Assert.Single(Wren.State.ReceivedPosts);
    }

    private (Guid OrderId, bool Cancelled, string State) Acknowledgement(int index)
    {
        var acknowledgement = Api.RefundAcknowledgements.ElementAt(index);
        return (acknowledgement.OrderId, acknowledgement.Cancelled, acknowledgement.FulfillmentState);
    }

    [Fact]
    public async Task A_refund_landing_between_the_workers_read_and_its_claim_cancels_without_a_post()
    {
        var gate = new ClaimGate();
        await using var fulfillment = await StartFulfillmentAsync(services: s => s.AddSingleton<IInterceptor>(gate));
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))!.State == FulfillmentState.Cancelled,
            because: "the refund cancels the scheduled fulfilment");
        gate.Open();
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30));

        // Our own write transaction waits for the worker's claim to end. Had it claimed, the row would be
        // Attempting (committed before any POST); Cancelled is final, so no POST can follow.
        Assert.Equal(FulfillmentState.Cancelled, await StateAfterPendingWritesAsync(fulfillment, orderId));
        Assert.Empty(Wren.State.ReceivedPosts);
    }

    [Fact]
    public async Task A_refund_that_read_the_fulfilment_before_the_claim_begins_its_attempt_either_cancels_it_or_only_records_the_refund()
    {
        var gate = new ClaimGate();
        var refund = new RefundHold();
        await using var fulfillment = await StartFulfillmentAsync(services: s => s.AddSingleton<IInterceptor>(gate).AddSingleton<IInterceptor>(refund));
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(30));
        await Api.RefundAsync(orderId);
        await refund.Reached.WaitAsync(TimeSpan.FromSeconds(30)); // it has read the Scheduled fulfilment and not yet written

        gate.Open();
        if (TestDatabase.IsPostgres)
        {
            // The refund has locked nothing yet: the claim takes the row and commits Attempting. The refund's
            // repeatable-read write then meets a row changed since its snapshot and fails; its retry sees Attempting
            // and only records the refund. The POST was begun before the refund committed: one order, reported.
            await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))!.State != FulfillmentState.Scheduled,
                because: "the claim commits while the refund is undecided");
            refund.Release();
            await PlacedAsync(orderId);
            await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))!.RefundedAt is not null,
                because: "the refund is recorded after its retry, and the outcome did not write over it");
            Assert.Equal(FulfillmentState.Placed, (await fulfillment.FulfillmentAsync(orderId))!.State);
            Assert.Single(Wren.State.ReceivedPosts);
        }
        else
        {
            // BEGIN IMMEDIATE: the refund holds the write lock since before its read, so the claim waits for it.
            refund.Release();
            await gate.Entered.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(FulfillmentState.Cancelled, await StateAfterPendingWritesAsync(fulfillment, orderId));
            Assert.Empty(Wren.State.ReceivedPosts);
        }
    }

    /// <summary>Holds the first refund's transaction after it read the fulfilment, before it writes anything.</summary>
    private sealed class RefundHold : SaveChangesInterceptor
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed = 1;

        public Task Reached => _reached.Task;

        public void Release() => _release.TrySetResult();

        public override async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (eventData.Context!.ChangeTracker.Entries<InboxMessage>().Any(e => e.Entity.Consumer == nameof(OrderRefundedConsumer))
                && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _reached.TrySetResult();
                await _release.Task;
            }

            return result;
        }
    }

    private static async Task<FulfillmentState?> StateAfterPendingWritesAsync(FulfillmentTestHost fulfillment, Guid orderId)
    {
        await using var scope = fulfillment.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(); // BEGIN IMMEDIATE: after every writer before us
        return (await db.Fulfillments.AsNoTracking().SingleOrDefaultAsync(f => f.OrderId == orderId))?.State;
    }

    [Fact]
    public async Task A_refund_after_a_failed_attempt_stops_the_retries()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["Fulfillment:RetryDelays:0"] = "00:00:30");
        Wren.State.FailNextPosts(1, 429); // nothing created; the retry waits 30 s
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId)) is { State: FulfillmentState.Scheduled, Attempts: 1 },
            because: "the first attempt failed and a retry is scheduled");

        await Api.RefundAsync(orderId);

        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))!.State == FulfillmentState.Cancelled);
        Assert.Single(Wren.State.ReceivedPosts);
    }

    [Fact]
    public async Task A_refund_during_a_post_lets_it_finish_and_reports_the_offset_without_a_second_post()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var release = Wren.State.HoldNextPost();
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))?.State == FulfillmentState.Attempting);

        await Api.RefundAsync(orderId);
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))!.RefundedAt is not null, because: "the refund is recorded");
        release.SetResult();

        // Wren created it: the outcome is still saved and published, and the Api flags the refunded order.
        await PlacedAsync(orderId);
        var placed = (await fulfillment.FulfillmentAsync(orderId))!;
        Assert.Equal(FulfillmentState.Placed, placed.State);
        Assert.Equal(Assert.Single(Wren.State.Orders).Id, placed.WrenOrderId);
        Assert.Single(Wren.State.ReceivedPosts);
    }
}
