using Microsoft.EntityFrameworkCore;
using Npgsql;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>What several replicas on one PostgreSQL database rely on (always on PostgreSQL, whatever engine the run tests).</summary>
public sealed class ReplicaSafetyTests
{
    private static async Task<(string ConnectionString, Func<TestDbContext> NewContext)> DatabaseAsync()
    {
        var connectionString = await (await PostgresServer.Shared).CreateDatabaseAsync("replicas");
        var options = new DbContextOptionsBuilder<TestDbContext>().UseNpgsql(connectionString).AddInterceptors(new SkipLocked.Interceptor()).Options;
        await using (var db = new TestDbContext(options))
        {
            await db.Database.EnsureCreatedAsync();
        }

        return (connectionString, () => new TestDbContext(options));
    }

    [Fact]
    public async Task Two_dispatchers_claiming_at_once_take_different_outbox_rows()
    {
        var (_, newContext) = await DatabaseAsync();
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

    [Fact]
    public async Task A_background_job_runs_on_one_replica_at_a_time_and_moves_on_when_the_holder_dies()
    {
        var (connectionString, newContext) = await DatabaseAsync();
        var holding = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        await using var holder = newContext();
        var holderPass = holder.RunExclusiveAsync("test-job", async _ =>
        {
            holding.SetResult();
            await release.Task;
        }, CancellationToken.None);
        await holding.Task;

        await using (var other = newContext())
        {
            Assert.False(await other.RunExclusiveAsync("test-job", _ => Task.CompletedTask, CancellationToken.None));
            Assert.True(await other.RunExclusiveAsync("another-job", _ => Task.CompletedTask, CancellationToken.None));
        }

        // The holder's process dies: its connection goes, and with it the lock.
        await using (var admin = new NpgsqlConnection(connectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()", admin);
            await kill.ExecuteNonQueryAsync();
        }

        release.SetResult();
        await Assert.ThrowsAnyAsync<Exception>(() => holderPass);
        var ran = false;
        await using (var successor = newContext())
        {
            Assert.True(await successor.RunExclusiveAsync("test-job", _ =>
            {
                ran = true;
                return Task.CompletedTask;
            }, CancellationToken.None));
        }

        Assert.True(ran);
    }
}
