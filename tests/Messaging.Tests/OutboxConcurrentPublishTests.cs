using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>A batch is published a window at a time, confirms awaited together; one failure in a window costs its neighbours nothing.</summary>
public sealed class OutboxConcurrentPublishTests : BrokerTestBase
{
    [Fact]
    public async Task The_rows_of_a_batch_are_at_the_broker_at_once_not_one_after_another()
    {
        var barrier = new PublishBarrier(6);
        using var host = await OutboxTestHost.StartAsync(Folder.File("window.db"), BrokerUri,
            services: s => s.AddPublishObserver(_ => barrier));
        var orders = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid()).ToList();

        await CommitAsync(host, orders);

        await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == orders.Count, TimeSpan.FromSeconds(30), "every message consumed");
        // Each publish waited (up to 2 s) for all six to have started: only concurrent publishes meet there.
        Assert.True(barrier.Met, "the six publishes of one batch were in flight together");
        await AssertDispatchedOnceAsync(host, orders);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_publish_failing_inside_a_window_neither_loses_nor_doubles_its_neighbours()
    {
        var orders = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        var failOnce = new FailFirstPublishOf(orders[2]);
        using var host = await OutboxTestHost.StartAsync(Folder.File("failure.db"), BrokerUri,
            services: s => s.AddPublishObserver(_ => failOnce));

        await CommitAsync(host, orders);

        await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == orders.Count, TimeSpan.FromSeconds(30), "every message consumed");
        Assert.True(failOnce.Failed);
        await AssertDispatchedOnceAsync(host, orders);
        await using var scope = host.Services.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.AsNoTracking().OrderBy(m => m.Sequence).ToListAsync();
        Assert.Equal([0, 0, 1, 0, 0], rows.Select(r => r.Attempts));
        Assert.All(rows, r => Assert.Null(r.ParkedAt));
        await host.StopAsync();
    }

    /// <summary>One transaction, so the rows form one batch.</summary>
    private static async Task CommitAsync(IHost host, IEnumerable<Guid> orders)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        foreach (var orderId in orders)
        {
            db.Enqueue(new PaymentCompleted(orderId, "cs_test_1", "pi_1", 2.5m, 21, 100_429, "usd", "a@b.example", DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);
        }

        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }

    private static async Task<int> ReceiptsAsync(IHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.CountAsync();
    }

    private static async Task AssertDispatchedOnceAsync(IHost host, List<Guid> orders)
    {
        // Settle: a doubled publish would arrive right behind the first; the inbox would drop it, so receipts alone cannot tell.
        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.AllAsync(m => m.DispatchedAt != null);
        }, TimeSpan.FromSeconds(30), "every row marked dispatched");
        await using var check = host.Services.CreateAsyncScope();
        var db = check.ServiceProvider.GetRequiredService<TestDbContext>();
        var receipts = await db.Receipts.Select(r => r.OrderId).ToListAsync();
        Assert.Equal(orders.Order(), receipts.Order());
        Assert.Equal(orders.Count, await db.InboxMessages.CountAsync());
    }

    /// <summary>Holds each PaymentCompleted publish until <paramref name="parties"/> are waiting here at once, or 2 s have passed.</summary>
    private sealed class PublishBarrier(int parties) : IPublishObserver
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiting;

        public bool Met => _all.Task.IsCompletedSuccessfully;

        public async Task PrePublish<T>(PublishContext<T> context) where T : class
        {
            if (context.Message is not PaymentCompleted)
            {
                return;
            }

            // Counts the publishes waiting here right now: one after another, they never add up.
            if (Interlocked.Increment(ref _waiting) == parties)
            {
                _all.TrySetResult();
            }

            await Task.WhenAny(_all.Task, Task.Delay(TimeSpan.FromSeconds(2)));
            Interlocked.Decrement(ref _waiting);
        }

        public Task PostPublish<T>(PublishContext<T> context) where T : class => Task.CompletedTask;

        public Task PublishFault<T>(PublishContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
