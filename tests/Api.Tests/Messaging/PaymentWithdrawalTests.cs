using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Messaging;

/// <summary>
/// A full refund accepted while the order's PaymentCompleted is still in the outbox withdraws it, and the dispatcher
/// never publishes a withdrawn row, not even one it had read before the refund committed. PaymentCompleted has no
/// queue on the test's vhost until the listener starts, so every publish of it fails like a broker outage.
/// </summary>
public sealed class PaymentWithdrawalTests : ApiTestBase
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_payment_the_dispatcher_read_before_its_full_refund_committed_is_never_published()
    {
        var created = await CreateOrderAsync();
        await PostAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId));
        Assert.Equal(1, await OutboxCountAsync());

        // The same Api again, with its dispatcher held between reading its batch (the payment) and publishing it: the
        // parked-row count is the dispatcher's next statement (on PostgreSQL inside the transaction that locks the batch).
        var pause = new PausingCommandInterceptor(sql => sql.Contains("outbox_messages") && sql.Replace("\"", "").Contains("ParkedAt IS NOT NULL"));
        Client.Dispose();
        await Api.DisposeAsync();
        Api = await Api.StartAnotherAsync(services => services.AddSingleton<IInterceptor>(pause));
        Client = Api.CreateClient();
        await pause.Reached.WaitAsync(Bound);

        // SQLite: the refund commits while the dispatcher holds its stale read, and the payment's queue is then bound, so
        // only the dispatcher's check of its read can keep the payment from the broker. PostgreSQL: the refund waits for
        // the dispatcher's row lock, then (the publish failed: no queue yet) withdraws the row on its writer's retry.
        var refund = PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));
        await Eventually.TrueAsync(async () => refund.IsCompleted || await WaitsForALockAsync(), Bound, "the refund commits or waits for the dispatcher's lock");
        await using var fulfillment = TestDatabase.IsPostgres ? null : await PaymentCompletedListener.StartAsync(BrokerUri);
        pause.Release();
        await refund.WaitAsync(Bound);

        Assert.Equal(OrderStatus.Refunded, (await OrderAsync(created.OrderId)).Status);
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
        await AssertNoPaymentCompletedReachesTheBrokerAsync(fulfillment ?? await PaymentCompletedListener.StartAsync(BrokerUri), created.OrderId);
    }

    private async Task<bool> WaitsForALockAsync() =>
        TestDatabase.IsPostgres && await Api.WithDbAsync(db => db.Database
            .SqlQueryRaw<int>("SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
            .SingleAsync()) > 0;

    /// <summary>Another order paid afterwards reaches the consumer, so the dispatcher had its chance to publish the refunded one.</summary>
    private async Task AssertNoPaymentCompletedReachesTheBrokerAsync(PaymentCompletedListener fulfillment, Guid refundedOrderId)
    {
        var control = await CreateOrderAsync();
        await PostAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, control.SessionId, control.OrderId, "evt_TEST_controlPaid")
            .Replace(StripeEventFixture.PaymentIntentId, "pi_3TESTcontrolIntent"));
        await Eventually.TrueAsync(() => fulfillment.Received.Any(r => r.Message.OrderId == control.OrderId), Bound,
            "the control order's PaymentCompleted reaches the broker's consumer");
        Assert.DoesNotContain(fulfillment.Received, r => r.Message.OrderId == refundedOrderId);
    }

    private async Task PostAsync(string body)
    {
        using var response = await PostSignedWebhookAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
