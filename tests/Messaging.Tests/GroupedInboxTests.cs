using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>
/// Messages consumed at once through <see cref="GroupedInbox{TContext}"/> share one transaction and keep every
/// promise of one transaction per message: each applied exactly once, a copy changes nothing, a failing one fails alone.
/// </summary>
public sealed class GroupedInboxTests : BrokerTestBase
{
    private readonly InboxCommitCounter _commits = new();
    private readonly ConsumeCounter _consumed = new();

    [Fact]
    public async Task Messages_consumed_together_commit_together_each_applied_once()
    {
        using var host = await StartAsync("together.db");
        var orders = Enumerable.Range(0, 40).Select(_ => Guid.NewGuid()).ToList();

        // One commit, so the outbox publishes them in windows and they arrive together.
        await CommitAsync(host, orders);

        await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == orders.Count, TimeSpan.FromSeconds(60), "every message consumed");
        await AssertEachAppliedOnceAsync(host, orders);
        Assert.InRange(_commits.Count, 1, orders.Count - 1);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_copy_of_a_message_already_processed_changes_nothing()
    {
        using var host = await StartAsync("copy.db");
        var orders = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        await CommitAsync(host, orders);
        await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == orders.Count, TimeSpan.FromSeconds(60), "every message consumed");

        await Eventually.TrueAsync(async () => await UnmarkedAsync(host) == 0, TimeSpan.FromSeconds(60), "every row marked dispatched");
        await Eventually.TrueAsync(() => _consumed.Count == orders.Count, TimeSpan.FromSeconds(30), "every first delivery acknowledged");

        // The outbox publishes every row again with its stored message id, as after a crash before its marks.
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages
                .ExecuteUpdateAsync(update => update.SetProperty(m => m.DispatchedAt, (DateTimeOffset?)null));
        }

        host.Services.GetRequiredService<OutboxSignal>().Notify();
        await Eventually.TrueAsync(async () => await UnmarkedAsync(host) == 0, TimeSpan.FromSeconds(60), "the copies published");
        await Eventually.TrueAsync(() => _consumed.Count >= 2 * orders.Count, TimeSpan.FromSeconds(60), "the copies consumed");
        await AssertEachAppliedOnceAsync(host, orders);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_message_failing_inside_a_group_fails_alone_and_its_retry_applies_it_once()
    {
        var orders = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        var refused = new RefusedDelivery(orders[7]);
        using var host = await StartAsync("failure.db", services => services.AddSingleton(refused));

        await CommitAsync(host, orders);

        await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == orders.Count, TimeSpan.FromSeconds(60), "every message consumed");
        Assert.True(refused.Refused);
        await AssertEachAppliedOnceAsync(host, orders);
        await host.StopAsync();
    }

    private Task<IHost> StartAsync(string file, Action<IServiceCollection>? more = null) =>
        OutboxTestHost.StartAsync(Folder.File(file), BrokerUri, groupedInbox: true, services: services =>
        {
            services.AddSingleton<IInterceptor>(_commits);
            services.AddConsumeObserver(_ => _consumed);
            more?.Invoke(services);
        });

    private static async Task CommitAsync(IHost host, IEnumerable<Guid> orders)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        foreach (var orderId in orders)
        {
            db.Enqueue(new PaymentCompleted(orderId, "cs_test_1", "pi_1", 2.5m, 21, 100_429, "usd", "a@b.example", DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);
        }

        await db.SaveChangesAsync();
    }

    private static async Task AssertEachAppliedOnceAsync(IHost host, List<Guid> orders)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        Assert.Equal(orders.Order(), (await db.Receipts.Select(r => r.OrderId).ToListAsync()).Order());
        Assert.Equal(orders.Count, await db.InboxMessages.CountAsync(m => m.Consumer == nameof(GroupedPaymentRecorder)));
    }

    private static async Task<int> ReceiptsAsync(IHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.CountAsync();
    }

    private static async Task<int> UnmarkedAsync(IHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.CountAsync(m => m.DispatchedAt == null);
    }

    /// <summary>Counts the inbox's commits: the writes that add inbox rows.</summary>
    private sealed class InboxCommitCounter : SaveChangesInterceptor
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (eventData.Context!.ChangeTracker.Entries<InboxMessage>().Any(e => e.State == EntityState.Added))
            {
                Interlocked.Increment(ref _count);
            }

            return ValueTask.FromResult(result);
        }
    }

    /// <summary>Counts the deliveries consumed without an error, copies included.</summary>
    private sealed class ConsumeCounter : IConsumeObserver
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Task PreConsume<T>(ConsumeContext<T> context) where T : class => Task.CompletedTask;

        public Task PostConsume<T>(ConsumeContext<T> context) where T : class
        {
            Interlocked.Increment(ref _count);
            return Task.CompletedTask;
        }

        public Task ConsumeFault<T>(ConsumeContext<T> context, Exception exception) where T : class => Task.CompletedTask;
    }
}
