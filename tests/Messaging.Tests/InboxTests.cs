using Microsoft.EntityFrameworkCore;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

public sealed class InboxTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private DbContextOptions<TestDbContext>? _options;

    private TestDbContext NewContext(string file) => new(_options!);

    private async Task CreateDatabaseAsync(string file)
    {
        _options = await TestDatabase.OptionsAsync<TestDbContext>(_folder.File(file));
        await using var db = NewContext(file);
        await db.Database.EnsureCreatedAsync();
    }

    private Task<bool> ProcessAsync(string file, Guid messageId, string consumer, Guid orderId) =>
        Task.Run(async () =>
        {
            await using var db = NewContext(file);
            return await db.ProcessOnceAsync(messageId, consumer, TimeProvider.System, _ =>
            {
                db.Receipts.Add(new Receipt { OrderId = orderId });
                return Task.CompletedTask;
            }, CancellationToken.None);
        });

    [Fact]
    public async Task Ten_concurrent_deliveries_of_one_message_apply_it_once()
    {
        await CreateDatabaseAsync("concurrent.db");
        var messageId = Guid.NewGuid();
        var orderId = Guid.NewGuid();

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => ProcessAsync("concurrent.db", messageId, "Recorder", orderId)));

        Assert.Single(results, applied => applied);
        await using var db = NewContext("concurrent.db");
        Assert.Equal(1, await db.Receipts.CountAsync(r => r.OrderId == orderId));
        Assert.Equal(1, await db.InboxMessages.CountAsync(m => m.MessageId == messageId));
    }

    [Fact]
    public async Task The_same_message_is_applied_once_per_consumer()
    {
        await CreateDatabaseAsync("consumers.db");
        var messageId = Guid.NewGuid();

        Assert.True(await ProcessAsync("consumers.db", messageId, "First", Guid.NewGuid()));
        Assert.True(await ProcessAsync("consumers.db", messageId, "Second", Guid.NewGuid()));
        Assert.False(await ProcessAsync("consumers.db", messageId, "First", Guid.NewGuid()));

        await using var db = NewContext("consumers.db");
        Assert.Equal(2, await db.Receipts.CountAsync());
    }

    [Fact]
    public async Task A_failed_handler_records_nothing_so_the_redelivery_applies_it()
    {
        await CreateDatabaseAsync("failure.db");
        var messageId = Guid.NewGuid();

        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var db = NewContext("failure.db");
            await db.ProcessOnceAsync(messageId, "Recorder", TimeProvider.System, _ =>
            {
                db.Receipts.Add(new Receipt { OrderId = Guid.NewGuid() });
                throw new InvalidOperationException("handler failed");
            }, CancellationToken.None);
        });

        Assert.True(await ProcessAsync("failure.db", messageId, "Recorder", Guid.NewGuid()));
        await using var check = NewContext("failure.db");
        Assert.Equal(1, await check.Receipts.CountAsync());
    }
}
