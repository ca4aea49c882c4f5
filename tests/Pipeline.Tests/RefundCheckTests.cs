using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests;

/// <summary>
/// The chaos soak's finding (docs/scaling.md, "found and fixed"): Fulfillment holds a payment it consumed (Wren answers
/// 429), the customer is refunded in full while RabbitMQ is down, so the Api accepts the refund but cannot tell
/// Fulfillment. When Wren lets requests through again, Fulfillment asks the Api before the delayed purchase and buys
/// nothing; once the broker is back the refund message is answered as usual and the order needs no operator.
/// </summary>
public sealed class RefundCheckTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private RabbitMqBroker _broker = null!;

    public async Task InitializeAsync() => _broker = await RabbitMqBroker.StartAsync("pipeline-refund-check");

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    [Fact]
    public async Task A_payment_held_by_Wren_and_refunded_in_full_while_the_broker_is_down_is_never_bought()
    {
        await using var system = await PuffinSystem.StartAsync(broker: _broker, configureFulfillment: settings =>
        {
            // Short waits between tries, so that the purchase is tried again soon after Wren lets it through.
            settings["Fulfillment:RetryDelays:0"] = "00:00:00.200";
            settings["Fulfillment:RetryDelays:1"] = "00:00:00.500";
        });
        // Held until the test lets go: every POST is refused with a 429 and creates nothing.
        system.Wren.State.RateLimitNextPosts(100_000, "1");
        var session = await system.CreateSessionAsync(2.5m);
        Pay(system, session);
        await Eventually.TrueAsync(async () => await FulfillmentAsync(system, session.OrderId) is { Attempts: >= 1 }, Patience,
            "Fulfillment consumed the payment and Wren refused its first POST");

        await _broker.StopAsync();
        Assert.NotNull(system.Stripe.Services.GetRequiredService<PaidPayments>().Refund(session.SessionId));
        await Eventually.TrueAsync(async () => await ApiOrderAsync(system, session.OrderId) is { RefundedAt: not null }, Patience,
            "the Api accepted the full refund (its OrderRefunded waits in the outbox)");
        system.Wren.State.ClearFaults();

        var held = await Eventually.ValueAsync(() => FulfillmentAsync(system, session.OrderId),
            f => f is { State: FulfillmentState.Cancelled or FulfillmentState.Placed }, Patience, "the held purchase ends");
        Assert.Equal(FulfillmentState.Cancelled, held!.State);
        Assert.Empty(system.Wren.State.Orders);

        await _broker.RestartAsync();
        await Eventually.TrueAsync(async () => await ApiOrderAsync(system, session.OrderId) is { RefundAcknowledgedAt: not null }, Patience,
            "Fulfillment answers the refund once the broker is back");
        var detail = await system.AdminClient.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{session.OrderId}");
        var order = detail.GetProperty("order");
        Assert.Equal("refunded", order.GetProperty("status").GetString());
        Assert.Equal(0, order.GetProperty("attention").GetArrayLength());
        Assert.Empty(system.Wren.State.Orders);
    }

    private static void Pay(PuffinSystem system, CheckoutSession session) =>
        Assert.NotNull(system.Stripe.Services.GetRequiredService<HostedCheckoutSessions>()
            .PayByCard(session.SessionId, new CheckoutCustomer("captain@example.com", "Test Captain")));

    private static async Task<Api.Orders.Order?> ApiOrderAsync(PuffinSystem system, Guid orderId)
    {
        await using var scope = system.Api.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ApiDbContext>().Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId);
    }

    private static async Task<OffsetFulfillment?> FulfillmentAsync(PuffinSystem system, Guid orderId)
    {
        await using var scope = system.Fulfillment.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().Fulfillments.AsNoTracking()
            .SingleOrDefaultAsync(f => f.OrderId == orderId);
    }
}
