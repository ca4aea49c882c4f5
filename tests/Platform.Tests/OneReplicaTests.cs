using Microsoft.EntityFrameworkCore;
using Npgsql;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Platform.Tests;

/// <summary>A job several replicas run on one PostgreSQL database (always on PostgreSQL, whatever engine the run tests).</summary>
public sealed class OneReplicaTests
{
    private static async Task<(string ConnectionString, Func<RowsDbContext> NewContext)> DatabaseAsync()
    {
        var connectionString = await (await PostgresServer.Shared).CreateDatabaseAsync("replicas");
        var options = new DbContextOptionsBuilder<RowsDbContext>().UseNpgsql(connectionString).Options;
        await using (var db = new RowsDbContext(options))
        {
            await db.Database.EnsureCreatedAsync();
        }

        return (connectionString, () => new RowsDbContext(options));
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
