using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

public sealed class MessageRetentionTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Old_published_rows_and_old_inbox_records_go_but_unpublished_rows_always_stay()
    {
        var services = new ServiceCollection().AddLogging();
        await services.AddTestDbContextAsync<TestDbContext>(_folder.File("retention.db"));
        await using var provider = services.BuildServiceProvider();
        var now = DateTimeOffset.UtcNow;
        OutboxMessage Row(TimeSpan age, bool dispatched)
        {
            var row = OutboxMessage.Create(new OffsetOrderFailed(Guid.NewGuid(), "test", 1, now), Guid.NewGuid(), now - age);
            if (dispatched)
            {
                row.MarkDispatched(now - age + TimeSpan.FromSeconds(1));
            }

            return row;
        }

        var oldPublished = Row(TimeSpan.FromDays(8), dispatched: true);
        var recentPublished = Row(TimeSpan.FromDays(6), dispatched: true);
        var oldUnpublished = Row(TimeSpan.FromDays(40), dispatched: false);
        var oldInbox = new InboxMessage { MessageId = Guid.NewGuid(), Consumer = "c", ProcessedAt = now - TimeSpan.FromDays(31) };
        var recentInbox = new InboxMessage { MessageId = Guid.NewGuid(), Consumer = "c", ProcessedAt = now - TimeSpan.FromDays(29) };
        await using (var scope = provider.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
            await db.Database.EnsureCreatedAsync();
            db.OutboxMessages.AddRange(oldPublished, recentPublished, oldUnpublished);
            db.InboxMessages.AddRange(oldInbox, recentInbox);
            await db.SaveChangesAsync();
        }

        var retention = new MessageRetentionService<TestDbContext>(provider.GetRequiredService<IServiceScopeFactory>(),
            TimeProvider.System, Options.Create(new MessageRetentionOptions()), NullLogger<MessageRetentionService<TestDbContext>>.Instance);

        Assert.Equal((1, 1), await retention.PurgeAsync(CancellationToken.None));

        await using var check = provider.CreateAsyncScope();
        var remaining = check.ServiceProvider.GetRequiredService<TestDbContext>();
        Assert.Equal([recentPublished.MessageId, oldUnpublished.MessageId],
            await remaining.OutboxMessages.OrderBy(m => m.Sequence).Select(m => m.MessageId).ToListAsync());
        Assert.Equal([recentInbox.MessageId], await remaining.InboxMessages.Select(m => m.MessageId).ToListAsync());
    }
}
