using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

public sealed class OutboxTests : BrokerTestBase
{
    private static PaymentCompleted Payment(Guid orderId) =>
        new(orderId, "cs_test_1", "pi_1", 2.5m, 21, 100_429, "usd", "a@b.example", DateTimeOffset.UtcNow);

    private static async Task<Guid> CommitAsync(IHost host, PaymentCompleted message)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        var id = db.Enqueue(message, DateTimeOffset.UtcNow);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        return id;
    }

    private static async Task<int> ReceiptsAsync(IHost host, Guid orderId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.CountAsync(r => r.OrderId == orderId);
    }

    [Fact]
    public async Task A_committed_message_is_published_and_consumed_once()
    {
        using var host = await OutboxTestHost.StartAsync(Folder.File("a.db"), BrokerUri);
        var orderId = Guid.NewGuid();

        await CommitAsync(host, Payment(orderId));

        await Eventually.TrueAsync(async () => await ReceiptsAsync(host, orderId) == 1, because: "the message is consumed");
        // The consumer may commit before the dispatcher records the broker's confirm: wait for that write.
        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var row = await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.AsNoTracking().SingleAsync();
            return row.DispatchedAt is not null;
        }, because: "the row is marked dispatched");
        await host.StopAsync();
    }

    [Fact]
    public async Task A_rolled_back_transaction_publishes_nothing()
    {
        using var host = await OutboxTestHost.StartAsync(Folder.File("a.db"), BrokerUri);
        var rolledBack = Guid.NewGuid();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.Enqueue(Payment(rolledBack), DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
            await transaction.RollbackAsync();
        }

        var committed = Guid.NewGuid();
        await CommitAsync(host, Payment(committed));

        await Eventually.TrueAsync(async () => await ReceiptsAsync(host, committed) == 1);
        Assert.Equal(0, await ReceiptsAsync(host, rolledBack));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_message_committed_before_the_process_died_is_published_once_after_restart()
    {
        var path = Folder.File("crash.db");
        var orderId = Guid.NewGuid();
        // The first process commits and "dies" before its dispatcher publishes anything.
        using (var crashed = await OutboxTestHost.StartAsync(path, BrokerUri, dispatcherEnabled: false))
        {
            await CommitAsync(crashed, Payment(orderId));
            await crashed.StopAsync();
        }

        using var restarted = await OutboxTestHost.StartAsync(path, BrokerUri);

        await Eventually.TrueAsync(async () => await ReceiptsAsync(restarted, orderId) == 1, because: "the restarted dispatcher publishes the row");
        await Eventually.TrueAsync(async () =>
        {
            await using var scope = restarted.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.AllAsync(m => m.DispatchedAt != null);
        });
        Assert.Equal(1, await ReceiptsAsync(restarted, orderId));
        await restarted.StopAsync();
    }

    [Fact]
    public async Task A_message_published_again_after_a_crash_before_it_was_marked_is_consumed_once()
    {
        var path = Folder.File("republish.db");
        var orderId = Guid.NewGuid();
        using var host = await OutboxTestHost.StartAsync(path, BrokerUri);
        var messageId = await CommitAsync(host, Payment(orderId));
        await Eventually.TrueAsync(async () => await ReceiptsAsync(host, orderId) == 1);

        // Simulate the crash window between the broker's confirm and marking the row: the row is
        // undelivered again, so the dispatcher publishes the same message id a second time.
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
            await db.OutboxMessages.ExecuteUpdateAsync(update => update.SetProperty(m => m.DispatchedAt, (DateTimeOffset?)null));
        }

        host.Services.GetRequiredService<OutboxSignal>().Notify();
        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
            return await db.OutboxMessages.AllAsync(m => m.DispatchedAt != null)
                && await db.InboxMessages.CountAsync(m => m.MessageId == messageId) == 1;
        });
        // Let the redelivered copy reach the consumer, then prove it changed nothing.
        await PublishAndConsumeMarkerAsync(host);
        Assert.Equal(1, await ReceiptsAsync(host, orderId));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_message_with_no_subscriber_yet_waits_in_the_outbox_until_one_binds()
    {
        var orderId = Guid.NewGuid();
        // The publishing service runs alone: nobody has declared a queue for PaymentCompleted yet.
        using var publisher = await OutboxTestHost.StartAsync(Folder.File("publisher.db"), BrokerUri, consume: false);
        await CommitAsync(publisher, Payment(orderId));

        using var consumer = await OutboxTestHost.StartAsync(Folder.File("consumer.db"), BrokerUri);

        await Eventually.TrueAsync(async () => await ReceiptsAsync(consumer, orderId) == 1, because: "the returned message is retried once a queue is bound");
        await consumer.StopAsync();
        await publisher.StopAsync();
    }

    /// <summary>
    /// Order holds only one publish at a time: a window of concurrent publishes (the default) may reach the
    /// broker in any order, which every consumer tolerates (e.g. a refund before its payment). A deployment that
    /// needs commit order sets Outbox__PublishConcurrency=1.
    /// </summary>
    [Fact]
    public async Task With_one_publish_at_a_time_messages_are_delivered_in_commit_order()
    {
        using var host = await OutboxTestHost.StartAsync(Folder.File("order.db"), BrokerUri,
            settings: new() { ["Outbox:PublishConcurrency"] = "1" });
        var orders = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        foreach (var orderId in orders)
        {
            await CommitAsync(host, Payment(orderId));
        }

        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.CountAsync() == orders.Count;
        });
        await using var check = host.Services.CreateAsyncScope();
        var received = await check.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.OrderBy(r => r.Id).Select(r => r.OrderId).ToListAsync();
        Assert.Equal(orders, received);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_dispatcher_is_woken_by_the_commit_not_by_its_poll()
    {
        using var host = await OutboxTestHost.StartAsync(Folder.File("wake.db"), BrokerUri);
        await PublishAndConsumeMarkerAsync(host); // warm up the bus and the consumer
        var orderId = Guid.NewGuid();

        var clock = Stopwatch.StartNew();
        await CommitAsync(host, Payment(orderId));
        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.AllAsync(m => m.DispatchedAt != null);
        });

        // The poll interval is 5 s in this host; being well under it proves the commit signal woke it.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"published after {clock.Elapsed}");
        await host.StopAsync();
    }

    private static async Task PublishAndConsumeMarkerAsync(IHost host)
    {
        var marker = Guid.NewGuid();
        await CommitAsync(host, Payment(marker));
        await Eventually.TrueAsync(async () => await ReceiptsAsync(host, marker) == 1);
    }
}
