using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Platform.Tests;

/// <summary>
/// <see cref="GroupCommitWriter{TChange, TResult}"/> on its own, without a database: the batch function is the
/// test's, so each promise the four writers stand on is checked directly — changes that wait are written
/// together, a caller is answered only after its transaction, a failed batch is written one change at a time,
/// recovery answers a change applied elsewhere (and only a key or serialization failure is looked up), and a serialization failure runs the transaction again.
/// </summary>
public sealed class GroupCommitWriterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Changes_sent_while_a_transaction_runs_are_written_together_and_answered_only_after_it()
    {
        var writer = new TestWriter(batch => Written(batch));
        await writer.StartAsync(CancellationToken.None);
        var hold = writer.HoldNextTransaction();
        var first = writer.SendAsync("first");
        await hold.Reached.WaitAsync(Timeout);

        var rest = new[] { "a", "b", "c" }.Select(writer.SendAsync).ToList();
        await Eventually.TrueAsync(() => writer.Waiting == 3, Timeout, "three changes queued behind the held transaction");
        Assert.False(first.IsCompleted);
        hold.Release();

        Assert.Equal("first written", await first.WaitAsync(Timeout));
        Assert.Equal(["a written", "b written", "c written"], (await Task.WhenAll(rest).WaitAsync(Timeout)).ToList());
        Assert.Equal(["first", "a b c"], writer.Transactions);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failed_batch_is_written_one_change_at_a_time_and_only_the_bad_change_fails()
    {
        var writer = new TestWriter(batch => batch.Contains("bad") ? throw new InvalidOperationException("bad change") : Written(batch));
        await writer.StartAsync(CancellationToken.None);

        var sent = await SendAsOneBatchAsync(writer, "a", "bad", "c");

        Assert.Equal("a written", await sent[0].WaitAsync(Timeout));
        Assert.Equal("bad change", (await Assert.ThrowsAsync<InvalidOperationException>(() => sent[1].WaitAsync(Timeout))).Message);
        Assert.Equal("c written", await sent[2].WaitAsync(Timeout));
        Assert.Equal(["holder", "a bad c", "a", "bad", "c"], writer.Transactions);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_change_that_fails_alone_is_answered_by_recovery_when_it_was_applied_elsewhere()
    {
        var failure = UniqueViolation();
        var writer = new TestWriter(_ => throw failure, recover: change => change == "applied elsewhere" ? "already there" : null);
        await writer.StartAsync(CancellationToken.None);

        Assert.Equal("already there", await writer.SendAsync("applied elsewhere").WaitAsync(Timeout));
        Assert.Same(failure, await Assert.ThrowsAsync<PostgresException>(() => writer.SendAsync("new").WaitAsync(Timeout)));
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_recovery_that_fails_leaves_the_change_failed_with_its_own_error()
    {
        var failure = UniqueViolation();
        var writer = new TestWriter(_ => throw failure, recover: _ => throw new TimeoutException("database unreachable"));
        await writer.StartAsync(CancellationToken.None);

        Assert.Same(failure, await Assert.ThrowsAsync<PostgresException>(() => writer.SendAsync("a").WaitAsync(Timeout)));
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_transaction_that_meets_a_concurrent_change_is_run_again_on_the_committed_state()
    {
        var attempts = 0;
        var writer = new TestWriter(batch => ++attempts < 3 ? throw SerializationFailure() : Written(batch));
        await writer.StartAsync(CancellationToken.None);

        Assert.Equal("a written", await writer.SendAsync("a").WaitAsync(Timeout));
        Assert.Equal(["a", "a", "a"], writer.Transactions);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Serialization_failures_end_after_five_attempts_and_then_fail_the_change()
    {
        var writer = new TestWriter(_ => throw SerializationFailure());
        await writer.StartAsync(CancellationToken.None);

        var failed = await Assert.ThrowsAsync<PostgresException>(() => writer.SendAsync("a").WaitAsync(Timeout));

        Assert.Equal(PostgresErrorCodes.SerializationFailure, failed.SqlState);
        Assert.Equal(5, writer.Transactions.Count);
        await writer.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Changes_queued_before_a_stop_are_still_written_and_later_ones_are_refused()
    {
        var writer = new TestWriter(batch => Written(batch));
        await writer.StartAsync(CancellationToken.None);
        var hold = writer.HoldNextTransaction();
        var first = writer.SendAsync("first");
        await hold.Reached.WaitAsync(Timeout);
        var queued = writer.SendAsync("queued");
        await Eventually.TrueAsync(() => writer.Waiting == 1, Timeout, "a change queued behind the held transaction");

        var stopping = writer.StopAsync(CancellationToken.None);
        Assert.Equal("stopping", (await Assert.ThrowsAsync<InvalidOperationException>(() => writer.SendAsync("late"))).Message);
        hold.Release();
        await stopping.WaitAsync(Timeout);

        Assert.Equal(("first written", "queued written"), (await first.WaitAsync(Timeout), await queued.WaitAsync(Timeout)));
    }

    [Fact]
    public async Task A_change_that_fails_alone_for_another_reason_is_not_looked_up_and_fails()
    {
        var failure = new InvalidOperationException("disk I/O error");
        var lookedUp = false;
        var writer = new TestWriter(_ => throw failure, recover: _ =>
        {
            lookedUp = true;
            return "already there";
        });
        await writer.StartAsync(CancellationToken.None);

        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => writer.SendAsync("a").WaitAsync(Timeout)));
        Assert.False(lookedUp);
        await writer.StopAsync(CancellationToken.None);
    }

    /// <summary>A first change holds the writer's transaction while <paramref name="changes"/> queue behind it.</summary>
    private static async Task<List<Task<string>>> SendAsOneBatchAsync(TestWriter writer, params string[] changes)
    {
        var hold = writer.HoldNextTransaction();
        var holder = writer.SendAsync("holder");
        await hold.Reached.WaitAsync(Timeout);
        var sent = changes.Select(writer.SendAsync).ToList();
        await Eventually.TrueAsync(() => writer.Waiting == changes.Length, Timeout, "every change queued behind the held transaction");
        hold.Release();
        await holder.WaitAsync(Timeout);
        return sent;
    }

    private static List<string> Written(IReadOnlyList<string> batch) => [.. batch.Select(change => $"{change} written")];

    private static PostgresException UniqueViolation() =>
        new("duplicate key value violates unique constraint", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation);

    private static PostgresException SerializationFailure() =>
        new("could not serialize access due to concurrent update", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure);

    private sealed class TestWriter(Func<IReadOnlyList<string>, IReadOnlyList<string>> write, Func<string, string?>? recover = null)
        : GroupCommitWriter<string, string>(NullLogger.Instance, "test changes")
    {
        private readonly List<string> _transactions = [];

        /// <summary>The changes of each transaction run, in order, separated by spaces.</summary>
        public List<string> Transactions
        {
            get
            {
                lock (_transactions)
                {
                    return [.. _transactions];
                }
            }
        }

        public Task<string> SendAsync(string change) => WriteAsync(change, "stopping");

        /// <summary>The next transaction waits, through the writer's seam, until the hold is released.</summary>
        public Hold HoldNextTransaction()
        {
            var hold = new Hold();
            BeforeTransaction = async () =>
            {
                BeforeTransaction = null;
                await hold.WaitAsync();
            };
            return hold;
        }

        protected override Task<IReadOnlyList<string>> WriteBatchAsync(IReadOnlyList<string> batch)
        {
            lock (_transactions)
            {
                _transactions.Add(string.Join(' ', batch));
            }

            return Task.FromResult(write(batch));
        }

        protected override Task<string?> AppliedElsewhereAsync(string change) =>
            recover is null ? base.AppliedElsewhereAsync(change) : Task.FromResult(recover(change));
    }

    private sealed class Hold
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Release() => _released.TrySetResult();

        public Task WaitAsync()
        {
            _reached.TrySetResult();
            return _released.Task;
        }
    }
}
