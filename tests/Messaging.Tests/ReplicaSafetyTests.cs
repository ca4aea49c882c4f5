using Microsoft.EntityFrameworkCore;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>What several replicas on one PostgreSQL database rely on (always on PostgreSQL, whatever engine the run tests).</summary>
public sealed class ReplicaSafetyTests
{
    private static async Task<Func<TestDbContext>> DatabaseAsync()
    {
        var connectionString = await (await PostgresServer.Shared).CreateDatabaseAsync("replicas");
        var options = new DbContextOptionsBuilder<TestDbContext>().UseNpgsql(connectionString).AddInterceptors(new SkipLocked.Interceptor()).Options;
        await using (var db = new TestDbContext(options))
        {
            await db.Database.EnsureCreatedAsync();
        }

        return () => new TestDbContext(options);
    }

    [Fact]
    public async Task Two_dispatchers_claiming_at_once_take_different_outbox_rows()
    {
        var newContext = await DatabaseAsync();
        var now = DateTimeOffset.UtcNow;
        await using (var db = newContext())
        {
            for (var i = 0; i < 10; i++)
            {
                db.Enqueue(new OffsetOrderFailed(Guid.NewGuid(), "test", 1, now), now);
            }

            await db.SaveChangesAsync();
        }

        await using var first = newContext();
        await using var second = newContext();
        await using var firstClaim = await first.Database.BeginTransactionAsync();
        var firstRows = await first.OutboxMessages.Where(m => m.DispatchedAt == null).OrderBy(m => m.Sequence).Take(5)
            .ForUpdateSkipLocked().Select(m => m.Sequence).ToListAsync();
        await using var secondClaim = await second.Database.BeginTransactionAsync();
        var secondRows = await second.OutboxMessages.Where(m => m.DispatchedAt == null).OrderBy(m => m.Sequence).Take(5)
            .ForUpdateSkipLocked().Select(m => m.Sequence).ToListAsync();

        Assert.Equal(5, firstRows.Count);
        Assert.Equal(5, secondRows.Count);
        Assert.Empty(firstRows.Intersect(secondRows));
    }
}
