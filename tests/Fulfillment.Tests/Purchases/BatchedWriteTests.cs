using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

/// <summary>
/// The worker's claim begins every plain attempt in its own commit, and the outcomes of concurrent Wren calls
/// commit together: fewer, larger transactions, with every promise of the one-order-at-a-time writes kept.
/// </summary>
public sealed class BatchedWriteTests : FulfillmentScenario
{
    private const int Orders = 10;

    [Fact]
    public async Task Due_orders_are_claimed_and_begun_in_one_commit_and_posted_without_a_lookup()
    {
        var gate = new ClaimGate();
        var commits = new FulfillmentCommits();
        await using var fulfillment = await StartFulfillmentAsync(services: s => s.AddSingleton<IInterceptor>(gate).AddSingleton<IInterceptor>(commits));
        var orders = await ScheduleWhileTheWorkerWaitsAsync(fulfillment, gate);

        gate.Open();

        await Eventually.TrueAsync(() => orders.All(id => Api.Placed.Any(p => p.OrderId == id)), TimeSpan.FromSeconds(60), "every order is placed");
        // One commit took the leases and made all of them Attempting; no processor committed an attempt of its own.
        Assert.Equal(Orders, Assert.Single(commits.Commits, c => c.Attempting > 0).Attempting);
        // Begun by the claim, not mistaken for interrupted attempts: posted at once, nothing looked up.
        Assert.Equal(0, Wren.State.LookupsReceived);
        Assert.Equal(Orders, Wren.State.ReceivedPosts.Count);
        Assert.Equal(Orders, Wren.State.Orders.Count);
        foreach (var orderId in orders)
        {
            Assert.Equal((FulfillmentState.Placed, 1, null), await StateAsync(fulfillment, orderId));
        }
    }

    [Fact]
    public async Task Outcomes_of_concurrent_Wren_calls_commit_together()
    {
        var gate = new ClaimGate();
        var commits = new FulfillmentCommits();
        await using var fulfillment = await StartFulfillmentAsync(services: s => s.AddSingleton<IInterceptor>(gate).AddSingleton<IInterceptor>(commits));
        var orders = await ScheduleWhileTheWorkerWaitsAsync(fulfillment, gate);
        var writer = fulfillment.Services.GetRequiredService<FulfillmentOutcomeWriter>();
        var answers = orders.Select(_ => Wren.State.HoldNextPost()).ToList();
        commits.HoldFirstOutcomeCommit();

        gate.Open();
        await Eventually.TrueAsync(() => Wren.State.PostsStarted == Orders, TimeSpan.FromSeconds(60), "every POST is at Wren");
        answers[0].SetResult();
        await commits.OutcomeHeld.WaitAsync(TimeSpan.FromSeconds(60));
        // The other answers come in and wait for the writer while its first transaction is held open.
        answers.ForEach(answer => answer.TrySetResult());
        await Eventually.TrueAsync(() => writer.Waiting == Orders - 1, TimeSpan.FromSeconds(60), "the other outcomes queue behind the held commit");
        commits.Release();

        await Eventually.TrueAsync(() => orders.All(id => Api.Placed.Any(p => p.OrderId == id)), TimeSpan.FromSeconds(60), "every order is placed");
        // Two commits for ten outcomes (one per outcome before): the held one and everything that queued behind it.
        var outcomeCommits = commits.Commits.Where(c => c.Outcomes > 0).ToList();
        Assert.Equal([1, Orders - 1], outcomeCommits.Select(c => c.Outcomes));
        Assert.Equal(Orders, Api.Placed.Count);
        Assert.Equal(Orders, Wren.State.Orders.Count);
    }

    [Fact]
    public async Task An_outcome_whose_fulfilment_was_taken_over_fails_alone_and_its_neighbours_commit()
    {
        var commits = new FulfillmentCommits();
        var logs = new LogRecorder(LogLevel.Warning);
        await using var fulfillment = await StartFulfillmentAsync(services: s => s.AddSingleton<IInterceptor>(commits).AddLogging(l => l.AddProvider(logs)));
        var writer = fulfillment.Services.GetRequiredService<FulfillmentOutcomeWriter>();
        // A first order whose outcome commit is held, so that the next three outcomes form one batch behind it.
        commits.HoldFirstOutcomeCommit();
        var first = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(first), Guid.NewGuid());
        await commits.OutcomeHeld.WaitAsync(TimeSpan.FromSeconds(60));

        var holds = Enumerable.Range(0, 3).Select(_ => Wren.State.HoldNextPost()).ToList();
        var batch = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        foreach (var orderId in batch)
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        }

        await Eventually.TrueAsync(() => Wren.State.PostsStarted == 4, TimeSpan.FromSeconds(60), "the three POSTs are at Wren");
        // Another replica took the middle one over meanwhile: its version moved on.
        var takenOver = batch[1];
        await TakeOverAsync(fulfillment, takenOver);
        holds.ForEach(hold => hold.SetResult());
        await Eventually.TrueAsync(() => writer.Waiting == 3, TimeSpan.FromSeconds(60), "the three outcomes queue as one batch");
        commits.Release();

        await PlacedAsync(batch[0]);
        await PlacedAsync(batch[2]);
        await Eventually.TrueAsync(() => logs.Entries.Any(e => e.Message.Contains($"order {takenOver} was taken over", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the lost lease is reported as today");
        Assert.Contains(logs.Entries, e => e.Message.Contains("batch of 3 fulfilment outcomes failed", StringComparison.Ordinal));
        // Its own outcome was not written over the takeover; the Wren order it created is recorded all the same
        // (the fulfilment had none yet: it is placed with it), and never posted again.
        await PlacedAsync(takenOver);
        Assert.Equal(4, Wren.State.ReceivedPosts.Count);
        Assert.Equal(4, Wren.State.Orders.Count);
        var placed = Assert.Single(Api.Placed, p => p.OrderId == takenOver);
        Assert.Equal(Wren.State.Orders.Single(o => o.Note == OffsetFulfillment.NoteFor(takenOver)).Id, placed.WrenOrderId);
    }

    [Fact]
    public async Task A_process_that_dies_after_the_claim_committed_the_attempt_looks_the_order_up_before_posting()
    {
        var orderId = Guid.NewGuid();
        var death = new DeathAfterClaim();
        await using (var first = await StartFulfillmentAsync(services: s => s.AddSingleton<IInterceptor>(death)))
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
            await death.Committed.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(FulfillmentState.Attempting, (await first.FulfillmentAsync(orderId))!.State);
        } // stopped between the claim's commit and the POST

        Assert.Equal(0, Wren.State.PostsStarted);
        await using var second = await StartFulfillmentAsync();

        await PlacedAsync(orderId);
        Assert.Equal(1, Wren.State.LookupsReceived);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Single(Wren.State.Orders);
        Assert.Equal((FulfillmentState.Placed, 2, null), await StateAsync(second, orderId));
    }

    [Fact]
    public async Task Payments_consumed_together_are_scheduled_in_one_commit_each_with_its_own_inbox_row()
    {
        var commits = new FulfillmentCommits();
        await using var fulfillment = await StartFulfillmentAsync(services: s => s.AddSingleton<IInterceptor>(commits));
        var inbox = fulfillment.Services.GetRequiredService<GroupedInbox<FulfillmentDbContext>>();
        commits.HoldFirstPaymentCommit();
        await Api.PublishAsync(TestBus.Payment(Guid.NewGuid()), Guid.NewGuid());
        await commits.PaymentsHeld.WaitAsync(TimeSpan.FromSeconds(60));

        var orders = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid()).ToList();
        var messageIds = orders.Select(_ => Guid.NewGuid()).ToList();
        for (var i = 0; i < orders.Count; i++)
        {
            await Api.PublishAsync(TestBus.Payment(orders[i]), messageIds[i]);
        }

        await Api.PublishAsync(TestBus.Payment(orders[0]), Guid.NewGuid()); // announced again (the Api's resend)
        await Api.PublishAsync(TestBus.Payment(orders[1]), messageIds[1]); // the same message delivered twice
        await Eventually.TrueAsync(() => inbox.Waiting == orders.Count + 2, TimeSpan.FromSeconds(60), "the deliveries queue behind the held commit");
        commits.Release();

        await Eventually.TrueAsync(() => Deliveries.Consumed == orders.Count + 3, TimeSpan.FromSeconds(60), "every delivery is handled");
        // Two commits for eleven deliveries: the held one, then the rest with an inbox row per message id.
        Assert.Equal([1, orders.Count + 1], commits.Commits.Where(c => c.Payments > 0).Select(c => c.Payments));
        Assert.Equal(orders.Count + 2, await fulfillment.InboxCountAsync());
        await Eventually.TrueAsync(() => orders.All(id => Api.Placed.Any(p => p.OrderId == id)), TimeSpan.FromSeconds(60), "every order is placed");
        Assert.Equal(orders.Count + 1, Wren.State.ReceivedPosts.Count); // one POST per order, the held one's included
        Assert.Equal(orders.Count, Api.Placed.Count(p => orders.Contains(p.OrderId)));
    }

    /// <summary>Publishes the payments while the worker is held before its claim, and returns once all are scheduled.</summary>
    private async Task<List<Guid>> ScheduleWhileTheWorkerWaitsAsync(FulfillmentTestHost fulfillment, ClaimGate gate)
    {
        var orders = Enumerable.Range(0, Orders).Select(_ => Guid.NewGuid()).ToList();
        foreach (var orderId in orders)
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        }

        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(async () => (await Task.WhenAll(orders.Select(fulfillment.FulfillmentAsync))).All(f => f?.State == FulfillmentState.Scheduled),
            TimeSpan.FromSeconds(60), "every payment is scheduled");
        return orders;
    }

    private static async Task<(FulfillmentState, int, string?)> StateAsync(FulfillmentTestHost fulfillment, Guid orderId) =>
        (await fulfillment.FulfillmentAsync(orderId)) is { } f ? (f.State, f.Attempts, f.LeaseOwner) : throw new InvalidOperationException("no fulfilment");

    private static async Task TakeOverAsync(FulfillmentTestHost fulfillment, Guid orderId)
    {
        await using var scope = fulfillment.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var changed = await db.Fulfillments.Where(f => f.OrderId == orderId && f.State == FulfillmentState.Attempting)
            .ExecuteUpdateAsync(update => update.SetProperty(f => f.Version, f => f.Version + 1));
        Assert.Equal(1, changed);
    }

    /// <summary>The claim's commit goes through; then the process stops before anything else happens (until it is stopped).</summary>
    private sealed class DeathAfterClaim : DbTransactionInterceptor
    {
        private readonly TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Committed => _committed.Task;

        public override async Task TransactionCommittedAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            if (eventData.Context?.ChangeTracker.Entries<OffsetFulfillment>().Any(e => e.Entity.State == FulfillmentState.Attempting) == true)
            {
                _committed.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
        }
    }
}
