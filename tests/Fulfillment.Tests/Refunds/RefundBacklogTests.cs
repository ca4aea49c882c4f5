using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Payments;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Refunds;

/// <summary>Payments and refunds that queued up while Fulfillment was down: every refund wins over its payment.</summary>
public sealed class RefundBacklogTests : FulfillmentScenario
{
    private static readonly string PaymentQueue = MassTransit.KebabCaseEndpointNameFormatter.Instance.Consumer<PaymentCompletedConsumer>();

    private static void Backlog(Dictionary<string, string?> settings)
    {
        // Every payment of these tests waited in the broker: all of them come from a backlog.
        settings["Fulfillment:BacklogThreshold"] = "00:00:00.001";
        settings["Fulfillment:BacklogRefundGrace"] = "00:00:01";
    }

    [Fact]
    public async Task After_an_outage_no_refunded_payment_in_the_backlog_is_bought_and_every_other_one_is_bought_once()
    {
        // Started once so that its queues exist and keep what is published while it is down.
        var broker = await RabbitMqBroker.Shared;
        var vhost = RabbitMqBroker.VirtualHostOf(BrokerUri);
        await using (await StartFulfillmentAsync(Backlog))
        {
            await Eventually.TrueAsync(async () => await broker.QueueTypeAsync(vhost, RefundBacklog.Queue) is not null
                    && await broker.QueueTypeAsync(vhost, PaymentQueue) is not null,
                TimeSpan.FromSeconds(30), "Fulfillment's payment and refund queues are declared");
        }

        var refunded = Enumerable.Range(0, 50).Select(_ => Guid.NewGuid()).ToList();
        var paidOnly = Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()).ToList();
        // A long refund backlog ahead of theirs (earlier orders, refunded before they were paid here): the refunds
        // of these orders come last, well after their payments, and no fixed grace would cover them.
        await Task.WhenAll(Enumerable.Range(0, 300).Select(_ => Api.RefundAsync(Guid.NewGuid())));
        foreach (var orderId in refunded)
        {
            // As the Api sends them: the payment, then its full refund.
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
            await Api.RefundAsync(orderId);
        }

        foreach (var orderId in paidOnly)
        {
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        }

        // The backlog is in place (management figures are sampled every second): every refund behind its payment.
        await Eventually.TrueAsync(async () => await broker.QueueDepthAsync(vhost, RefundBacklog.Queue) == 300 + refunded.Count
                && await broker.QueueDepthAsync(vhost, PaymentQueue) == refunded.Count + paidOnly.Count,
            TimeSpan.FromSeconds(30), "the broker holds every refund and payment published while Fulfillment was down");

        await using var fulfillment = await StartFulfillmentAsync(Backlog);

        await Eventually.TrueAsync(() => paidOnly.All(id => Api.Placed.Any(p => p.OrderId == id)), TimeSpan.FromSeconds(90), "every paid-only order is placed");
        await Eventually.TrueAsync(async () => await CountAsync(fulfillment, refunded, FulfillmentState.Cancelled, FulfillmentState.Placed) == refunded.Count,
            TimeSpan.FromSeconds(60), "every refunded order is settled");
        var cancelled = await CountAsync(fulfillment, refunded, FulfillmentState.Cancelled);
        Assert.True(cancelled == refunded.Count, $"{cancelled} of {refunded.Count} refunded orders cancelled; the others:\n{await DescribeAsync(fulfillment, refunded)}");
        var notes = Wren.State.ReceivedPosts.Select(p => p.Note).ToList();
        Assert.DoesNotContain(notes, note => refunded.Any(id => note == OffsetFulfillment.NoteFor(id)));
        Assert.All(paidOnly, id => Assert.Single(notes, note => note == OffsetFulfillment.NoteFor(id)));
        Assert.Equal(paidOnly.Count, Wren.State.Orders.Count);
    }

    [Fact]
    public async Task A_payment_consumed_at_once_is_attempted_without_waiting_for_the_refund_queue()
    {
        void SlowGrace(Dictionary<string, string?> settings)
        {
            settings["Fulfillment:BacklogThreshold"] = "00:00:05";
            settings["Fulfillment:BacklogRefundGrace"] = "00:10:00";
        }

        await using var fulfillment = await StartFulfillmentAsync(SlowGrace);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        Assert.False((await fulfillment.FulfillmentAsync(orderId))!.AwaitsRefundBacklog);
    }

    /// <summary>For a failure message: when each was scheduled, first attempted and refunded (a first attempt within the grace means no wait).</summary>
    private static async Task<string> DescribeAsync(FulfillmentTestHost host, List<Guid> orders)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var rows = await db.Fulfillments.AsNoTracking().Where(f => orders.Contains(f.OrderId) && f.State != FulfillmentState.Cancelled).ToListAsync();
        return string.Join("\n", rows.Take(10).Select(f =>
            $"{f.OrderId}: {f.State}, created {f.CreatedAt:HH:mm:ss.fff}, next {f.NextAttemptAt:HH:mm:ss.fff}, first attempt {f.FirstAttemptAt:HH:mm:ss.fff}, refunded {f.RefundedAt:HH:mm:ss.fff}, paid {f.PaidAt:HH:mm:ss.fff}"));
    }

    private static async Task<int> CountAsync(FulfillmentTestHost host, List<Guid> orders, params FulfillmentState[] states)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        return await db.Fulfillments.CountAsync(f => orders.Contains(f.OrderId) && states.Contains(f.State));
    }
}
