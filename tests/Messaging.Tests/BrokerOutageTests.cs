using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>The broker is stopped while a message is committed: the commit succeeds, the row waits, and it is delivered once the broker is back.</summary>
[Collection(BesideTheOthers.Name)] // a node of its own, stopped and restarted; counts its own host's publish failures
public sealed class BrokerOutageTests : IAsyncLifetime, IDisposable
{
    private readonly TempFolder _folder = new();
    private RabbitMqBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await RabbitMqBroker.StartAsync("outage");

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_message_committed_while_the_broker_is_down_is_delivered_once_it_returns()
    {
        using var host = await OutboxTestHost.StartAsync(_folder.File("outage.db"), _broker.ConnectionString());
        using var failedPublishes = new MeasurementCounter(host.Services, OutboxMetrics.MeterName, "puffin.outbox.publish_failures");
        await _broker.StopAsync();

        var orderId = Guid.NewGuid();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
            db.Enqueue(new PaymentCompleted(orderId, "cs_test_outage", null, 1m, 21, 40_171, "usd", null, DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);
            await db.SaveChangesAsync(); // the business commit does not need the broker
        }

        // The dispatcher tries, fails and keeps the row pending: nothing is lost, nothing is marked.
        await Eventually.TrueAsync(() => failedPublishes.Value >= 2, TimeSpan.FromSeconds(60), "publishing fails while the broker is down");
        await using (var scope = host.Services.CreateAsyncScope())
        {
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.CountAsync(m => m.DispatchedAt == null));
        }

        await _broker.RestartAsync();

        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.CountAsync(r => r.OrderId == orderId) == 1;
        }, TimeSpan.FromSeconds(90), "the dispatcher retries until the broker is back");
        // The confirm's mark is written after the consumer may already have committed (on SQLite with the next
        // marks, within Outbox:MarkInterval): wait for it.
        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TestDbContext>().OutboxMessages.AllAsync(m => m.DispatchedAt != null);
        }, TimeSpan.FromSeconds(30), "the row is marked dispatched");
        await using (var scope = host.Services.CreateAsyncScope())
        {
            Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.CountAsync(r => r.OrderId == orderId));
        }

        await host.StopAsync();
    }
    /// <summary>
    /// The chaos soak's second finding: every publish of a minutes-long outage counted toward parking, so when the first
    /// publish after it got through, each row whose publish failed beside it (a timeout on a broker still waking up)
    /// was parked at once. Here the refund's failure beside the payment is the row's own (no queue is bound for it).
    /// </summary>
    [Fact]
    public async Task Publishes_that_failed_during_an_outage_do_not_park_a_row_once_the_broker_is_back()
    {
        using var host = await OutboxTestHost.StartAsync(_folder.File("outage-attempts.db"), _broker.ConnectionString(),
            settings: new() { ["Outbox:MaxPublishAttempts"] = "2" });
        using var failedPublishes = new MeasurementCounter(host.Services, OutboxMetrics.MeterName, "puffin.outbox.publish_failures");
        await _broker.StopAsync();

        var orderId = Guid.NewGuid();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
            var now = DateTimeOffset.UtcNow;
            db.Enqueue(new PaymentCompleted(orderId, "cs_test_outage", null, 1m, 21, 40_171, "usd", null, now), now);
            db.Enqueue(new OrderRefunded(orderId, 40_171, now), now);
            await db.SaveChangesAsync();
        }

        // Both rows fail in more windows than MaxPublishAttempts allows.
        await Eventually.TrueAsync(() => failedPublishes.Value >= 6, TimeSpan.FromSeconds(90), "three failed windows while the broker is down");
        await _broker.RestartAsync();

        await Eventually.TrueAsync(async () => await QueryAsync(host, db => db.OutboxMessages.AnyAsync(m => m.MessageType == "PaymentCompleted" && m.DispatchedAt != null)),
            TimeSpan.FromSeconds(90), "the payment is published and marked once the broker is back");
        var refund = await QueryAsync(host, db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.MessageType == "OrderRefunded"));
        Assert.Null(refund.DispatchedAt); // it failed beside the published payment: unroutable
        Assert.Null(refund.ParkedAt);
        Assert.True(refund.Attempts < 2, $"{refund.Attempts} attempts counted; only failures beside a published row count");
        await host.StopAsync();
    }

    private static async Task<T> QueryAsync<T>(IHost host, Func<TestDbContext, Task<T>> query)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<TestDbContext>());
    }
}
