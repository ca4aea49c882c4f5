using System.Reflection;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>
/// <see cref="GroupedInbox{TContext}"/> on the engine under test, without a broker: at most once per (message id,
/// consumer), also across two inboxes on one database (two processes, two replicas), a failed work records nothing,
/// and what a consumer's deliveries of one batch share (<see cref="IInboxBatch{TContext}"/>) is loaded once.
/// </summary>
public sealed class InboxTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly TempFolder _folder = new();
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        await services.AddTestDbContextAsync<TestDbContext>(_folder.File("inbox.db"));
        _services = services.BuildServiceProvider();
        await using var scope = _services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<TestDbContext>().Database.EnsureCreatedAsync();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task Ten_concurrent_deliveries_of_one_message_through_two_inboxes_apply_it_once()
    {
        var (first, second) = (await StartInboxAsync(), await StartInboxAsync());
        var messageId = Guid.NewGuid();
        var orderId = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 10)
            .Select(i => Task.Run(() => RecordAsync(i % 2 == 0 ? first : second, messageId, "Recorder", orderId))));

        Assert.Single(results, applied => applied);
        await using var scope = _services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        Assert.Equal(1, await db.Receipts.CountAsync(r => r.OrderId == orderId));
        Assert.Equal(1, await db.InboxMessages.CountAsync(m => m.MessageId == messageId));
        await first.StopAsync(CancellationToken.None);
        await second.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_same_message_is_applied_once_per_consumer()
    {
        var inbox = await StartInboxAsync();
        var messageId = Guid.NewGuid();

        Assert.True(await RecordAsync(inbox, messageId, "First", Guid.NewGuid()));
        Assert.True(await RecordAsync(inbox, messageId, "Second", Guid.NewGuid()));
        Assert.False(await RecordAsync(inbox, messageId, "First", Guid.NewGuid()));

        Assert.Equal(2, await ReceiptsAsync());
        await inbox.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failed_work_records_nothing_so_the_redelivery_applies_it()
    {
        var inbox = await StartInboxAsync();
        var messageId = Guid.NewGuid();

        await Assert.ThrowsAsync<InvalidOperationException>(() => inbox.ProcessOnceAsync(Delivery(messageId), "Recorder", db =>
        {
            db.Receipts.Add(new Receipt { OrderId = Guid.NewGuid() });
            throw new InvalidOperationException("work failed");
        }).WaitAsync(Timeout));

        Assert.True(await RecordAsync(inbox, messageId, "Recorder", Guid.NewGuid()));
        Assert.Equal(1, await ReceiptsAsync());
        await inbox.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task What_a_consumers_deliveries_share_is_loaded_once_per_batch_with_its_first_time_deliveries_only()
    {
        var inbox = await StartInboxAsync();
        var seenBefore = Guid.NewGuid();
        Assert.True(await RecordAsync(inbox, seenBefore, nameof(CountingBatch), Guid.NewGuid()));
        CountingBatch.Loads.Clear();

        // A first message holds the writer's transaction while the others queue into one batch behind it.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        inbox.BeforeTransaction = async () =>
        {
            inbox.BeforeTransaction = null;
            held.TrySetResult();
            await release.Task;
        };
        var holder = RecordAsync(inbox, Guid.NewGuid(), "Holder", Guid.NewGuid());
        await held.Task.WaitAsync(Timeout);
        var messages = new[] { Guid.NewGuid(), Guid.NewGuid(), seenBefore, Guid.NewGuid() };
        var handedTo = new List<CountingBatch>();
        var sent = messages.Select(id => inbox.ProcessOnceAsync<CountingBatch>(Delivery(id), nameof(CountingBatch), (db, batch) =>
        {
            handedTo.Add(batch);
            db.Receipts.Add(new Receipt { OrderId = id });
            return Task.CompletedTask;
        })).ToList();
        var other = RecordAsync(inbox, Guid.NewGuid(), "Other", Guid.NewGuid());
        await Eventually.TrueAsync(() => inbox.Waiting == messages.Length + 1, Timeout, "the deliveries queue behind the held transaction");
        release.SetResult();

        var firstTime = await Task.WhenAll(sent).WaitAsync(Timeout);
        Assert.Equal([true, true, false, true], firstTime);
        Assert.True(await holder.WaitAsync(Timeout) && await other.WaitAsync(Timeout));
        var load = Assert.Single(CountingBatch.Loads);
        Assert.Equal([messages[0], messages[1], messages[3]], load);
        Assert.Equal(3, handedTo.Count);
        Assert.All(handedTo, batch => Assert.Same(handedTo[0], batch));
        await inbox.StopAsync(CancellationToken.None);
    }

    private async Task<GroupedInbox<TestDbContext>> StartInboxAsync()
    {
        var inbox = new GroupedInbox<TestDbContext>(_services.GetRequiredService<IServiceScopeFactory>(), TimeProvider.System,
            NullLogger<GroupedInbox<TestDbContext>>.Instance);
        await inbox.StartAsync(CancellationToken.None);
        return inbox;
    }

    private static Task<bool> RecordAsync(GroupedInbox<TestDbContext> inbox, Guid messageId, string consumer, Guid orderId) =>
        inbox.ProcessOnceAsync(Delivery(messageId), consumer, db =>
        {
            db.Receipts.Add(new Receipt { OrderId = orderId });
            return Task.CompletedTask;
        }).WaitAsync(Timeout);

    private async Task<int> ReceiptsAsync()
    {
        await using var scope = _services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.CountAsync();
    }

    /// <summary>A delivery as the inbox sees it: its message id (the rest of a consume context is not asked for).</summary>
    private static ConsumeContext Delivery(Guid messageId)
    {
        var context = DispatchProxy.Create<ConsumeContext, DeliveryProxy>();
        ((DeliveryProxy)(object)context).MessageId = messageId;
        return context;
    }

    public class DeliveryProxy : DispatchProxy
    {
        public Guid MessageId { get; set; }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            targetMethod?.Name == "get_MessageId" ? MessageId : throw new NotSupportedException(targetMethod?.Name);
    }

    /// <summary>Records the message ids each load was given.</summary>
    private sealed class CountingBatch : IInboxBatch<TestDbContext>
    {
        public static readonly List<List<Guid>> Loads = [];

        public Task LoadAsync(TestDbContext db, IReadOnlyList<ConsumeContext> deliveries)
        {
            Loads.Add([.. deliveries.Select(d => d.MessageId!.Value)]);
            return Task.CompletedTask;
        }
    }
}
