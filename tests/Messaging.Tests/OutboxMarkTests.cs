using System.Data.Common;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>
/// On SQLite the "dispatched" marks of several published batches are written together (Outbox:MarkInterval),
/// so the dispatcher takes the file's one write lock a few times a second rather than after every batch.
/// The marks wait in memory: nothing may go out twice meanwhile, a failure or a stop writes them at once.
/// PostgreSQL marks every batch in the transaction that claimed it.
/// </summary>
public sealed class OutboxMarkTests : BrokerTestBase
{
    private static readonly TimeSpan MarkInterval = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly PublishCounter _publishes = new();
    private readonly MarkWriteCounter _markWrites = new();

    [Fact]
    public async Task The_marks_of_several_batches_are_written_in_one_write_and_nothing_goes_out_twice_meanwhile()
    {
        using var host = await StartAsync("together.db");
        var orders = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();

        // Five commits, each consumed before the next: five batches, each woken by its own commit.
        for (var i = 0; i < orders.Count; i++)
        {
            await CommitAsync(host, orders[i]);
            await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == i + 1, TimeSpan.FromSeconds(30), $"message {i + 1} consumed");
        }

        if (TestDatabase.IsPostgres)
        {
            await Eventually.TrueAsync(async () => await UnmarkedAsync(host) == 0, TimeSpan.FromSeconds(30), "each batch marked as it was claimed");
            Assert.True(_markWrites.Count >= 1);
        }
        else
        {
            // Each later batch looked at the table again (woken by its commit) and left the held rows alone.
            Assert.Equal(orders.Count, await UnmarkedAsync(host));
            Assert.Equal(0, _markWrites.Count);

            _time.Advance(MarkInterval);

            await Eventually.TrueAsync(async () => await UnmarkedAsync(host) == 0, TimeSpan.FromSeconds(30), "the held marks written once due");
            Assert.Equal(1, _markWrites.Count);
        }

        Assert.Equal(orders.Count, _publishes.ByMessageId.Count);
        Assert.All(_publishes.ByMessageId.Values, count => Assert.Equal(1, count));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_failed_publish_is_recorded_at_once_and_the_held_marks_with_it()
    {
        var first = Guid.NewGuid();
        var refused = Guid.NewGuid();
        var failOnce = new FailFirstPublishOf(refused);
        using var host = await StartAsync("failure.db", failOnce);

        await CommitAsync(host, first);
        await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == 1, TimeSpan.FromSeconds(30), "the first message consumed");
        await CommitAsync(host, refused);

        // No time passes: only the failure can have written the first row's mark.
        // Alone in its window, the failure is the broker's: recorded with its error, not counted toward parking.
        await Eventually.TrueAsync(async () => await LastErrorAsync(host, refused) is not null, TimeSpan.FromSeconds(30), "the failed attempt recorded");
        Assert.Equal(1, await UnmarkedAsync(host));
        // The dispatcher's backoff after the failure passes. Advanced on every probe: the dispatcher may start its
        // backoff timer only after the test saw the attempt recorded, and a timer made after one advance waits for the next.
        await Eventually.TrueAsync(async () =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            return await ReceiptsAsync(host) == 2;
        }, TimeSpan.FromSeconds(60), "the refused message retried and consumed");
        Assert.All(_publishes.ByMessageId.Values, count => Assert.Equal(1, count));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_graceful_stop_writes_the_held_marks_so_the_next_start_publishes_nothing_again()
    {
        var orders = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        using (var host = await StartAsync("stop.db"))
        {
            foreach (var orderId in orders)
            {
                await CommitAsync(host, orderId);
            }

            await Eventually.TrueAsync(async () => await ReceiptsAsync(host) == orders.Count, TimeSpan.FromSeconds(30), "every message consumed");
            await host.StopAsync();
        }

        using var restarted = await StartAsync("stop.db");
        Assert.Equal(0, await UnmarkedAsync(restarted));
        Assert.Equal(orders.Count, _publishes.Total);
        await restarted.StopAsync();
    }

    private Task<IHost> StartAsync(string file, FailFirstPublishOf? failure = null) =>
        OutboxTestHost.StartAsync(Folder.File(file), BrokerUri,
            settings: new() { ["Outbox:MarkInterval"] = MarkInterval.ToString() },
            services: s =>
            {
                s.AddSingleton<TimeProvider>(_time);
                s.AddSingleton<IInterceptor>(_markWrites);
                s.AddPublishObserver(_ => _publishes);
                if (failure is not null)
                {
                    s.AddPublishObserver(_ => failure);
                }
            });

    private static async Task CommitAsync(IHost host, Guid orderId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        db.Enqueue(new PaymentCompleted(orderId, "cs_test_1", "pi_1", 2.5m, 21, 100_429, "usd", "a@b.example", DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
    }

    private static Task<int> ReceiptsAsync(IHost host) =>
        QueryAsync(host, db => db.Receipts.CountAsync());

    private static Task<int> UnmarkedAsync(IHost host) =>
        QueryAsync(host, db => db.OutboxMessages.CountAsync(m => m.DispatchedAt == null));

    private static Task<string?> LastErrorAsync(IHost host, Guid orderId) =>
        QueryAsync(host, async db => (await db.OutboxMessages.AsNoTracking().ToListAsync())
            .Single(m => m.Payload.Contains(orderId.ToString(), StringComparison.OrdinalIgnoreCase)).LastError);

    private static async Task<T> QueryAsync<T>(IHost host, Func<TestDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<TestDbContext>());
    }

    /// <summary>Counts the statements that change outbox rows already stored (the dispatcher's marks and attempts).</summary>
    private sealed class MarkWriteCounter : DbCommandInterceptor
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            CountIfMark(command);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            CountIfMark(command);
            return ValueTask.FromResult(result);
        }

        private void CountIfMark(DbCommand command)
        {
            // SQLite quotes the table's name, PostgreSQL leaves it bare.
            if (command.CommandText.TrimStart().StartsWith("UPDATE", StringComparison.Ordinal)
                && command.CommandText.Contains("outbox_messages", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _count);
            }
        }
    }
}
