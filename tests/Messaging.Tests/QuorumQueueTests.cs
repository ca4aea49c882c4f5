using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>RABBITMQ_QUEUE_TYPE=quorum declares replicated queues, and messages still flow through them.</summary>
[Trait("Engine", "Neutral")]
public sealed class QuorumQueueTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("quorum", "quorum")]
    [InlineData(null, "classic")]
    public async Task Consumer_queues_are_declared_with_the_configured_type(string? configured, string expected)
    {
        var broker = await RabbitMqBroker.Shared;
        var vhost = $"queue-type-{Guid.NewGuid():N}";
        using var host = await OutboxTestHost.StartAsync(_folder.File("quorum.db"), await broker.CreateVirtualHostAsync(vhost),
            settings: new() { ["RABBITMQ_QUEUE_TYPE"] = configured });

        Assert.Equal(expected, await broker.QueueTypeAsync(vhost, "payment-completed-recorder"));

        var orderId = Guid.NewGuid();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TestDbContext>();
            db.Enqueue(new PaymentCompleted(orderId, "cs_test_q", "pi_q", 1m, 21, 40_171, "usd", null, DateTimeOffset.UtcNow), DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        }

        await Eventually.TrueAsync(async () =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TestDbContext>().Receipts.AnyAsync(r => r.OrderId == orderId);
        }, because: "the message went through the queue");
    }
}
