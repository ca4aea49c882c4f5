using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Payments;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// The chaos soak's finding (docs/scaling.md): a payment and its full refund both accepted while RabbitMQ is down
/// wait in the Api's outbox; when the broker returns, Fulfillment must not receive the payment before its refund
/// and buy the offset. The refund withdraws the unpublished payment, so Fulfillment only ever hears of the refund.
/// </summary>
public sealed class RefundDuringBrokerOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private RabbitMqBroker _broker = null!;

    private sealed record OrderView(Guid OrderId, string Status, long AmountRefunded);

    private sealed record AdminOrderDetail(OrderView Order);

    public async Task InitializeAsync() => _broker = await RabbitMqBroker.StartAsync("pipeline-refund-outage");

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task A_payment_refunded_in_full_while_the_broker_is_down_is_never_published_and_nothing_is_bought()
    {
        await using var system = await PuffinSystem.StartAsync(broker: _broker);
        var session = await system.CreateSessionAsync(2.5m);
        await _broker.StopAsync();

        Pay(system, session);
        await OrderWhenAsync(system, session.OrderId, o => o.Status == "paid");
        Assert.NotNull(system.Stripe.Services.GetRequiredService<PaidPayments>().Refund(session.SessionId));
        await OrderWhenAsync(system, session.OrderId, o => o.Status == "refunded");

        await _broker.RestartAsync();

        // Fulfillment hears of the refund alone, and an order paid after the outage is bought: by then anything the
        // refunded order had queued (published in outbox order, before the control's payment) has been consumed.
        await Eventually.TrueAsync(async () => await FulfillmentAsync(system, session.OrderId) is { State: FulfillmentState.Cancelled }, Patience,
            "Fulfillment records the refund");
        var control = await system.CreateSessionAsync(1m);
        Pay(system, control);
        await OrderWhenAsync(system, control.OrderId, o => o.Status == "fulfilled");

        var order = await OrderWhenAsync(system, session.OrderId, o => o.Status == "refunded");
        Assert.Equal(session.AmountTotal, order.AmountRefunded);
        Assert.Single(system.Wren.State.Orders);
        await using var scope = system.Fulfillment.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        Assert.Equal(1, await db.InboxMessages.CountAsync(m => m.Consumer == nameof(PaymentCompletedConsumer))); // the control's payment only
    }

    private static void Pay(PuffinSystem system, CheckoutSession session) =>
        Assert.NotNull(system.Stripe.Services.GetRequiredService<HostedCheckoutSessions>()
            .PayByCard(session.SessionId, new CheckoutCustomer("captain@example.com", "Test Captain")));

    private static Task<OrderView> OrderWhenAsync(PuffinSystem system, Guid orderId, Func<OrderView, bool> condition) =>
        Eventually.ValueAsync(
            async () => (await system.AdminClient.GetFromJsonAsync<AdminOrderDetail>($"/api/admin/orders/{orderId}"))!.Order,
            condition, Patience, "the order reaches the expected state");

    private static async Task<OffsetFulfillment?> FulfillmentAsync(PuffinSystem system, Guid orderId)
    {
        await using var scope = system.Fulfillment.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().Fulfillments.AsNoTracking()
            .SingleOrDefaultAsync(f => f.OrderId == orderId);
    }
}
