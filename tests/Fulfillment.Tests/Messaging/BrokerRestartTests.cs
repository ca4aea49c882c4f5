using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.Fulfillment.Tests.Messaging;

/// <summary>RabbitMQ goes away while Wren is being called: the placed order waits in the outbox, nothing is posted twice.</summary>
[Collection(BesideTheOthers.Name)] // a RabbitMQ node of its own, started twice: most of its time is the node booting
public sealed class BrokerRestartTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private RabbitMqBroker _broker = null!;
    private WrenSandboxServer _wren = null!;

    public async Task InitializeAsync()
    {
        _broker = await RabbitMqBroker.StartAsync("fulfillment-restart");
        _wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(FulfillmentTestHost.LiveToken));
    }

    public async Task DisposeAsync()
    {
        await _wren.DisposeAsync();
        await _broker.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task An_order_placed_while_RabbitMQ_is_down_is_reported_once_it_is_back()
    {
        var brokerUri = await _broker.CreateVirtualHostAsync();
        await using var api = await TestBus.StartAsync(brokerUri);
        await using var fulfillment = await FulfillmentTestHost.StartAsync(_folder.File("fulfillment.db"), brokerUri, _wren.BaseAddress,
            settings => settings["Fulfillment:WrenTimeout"] = "00:02:00");
        var release = _wren.State.HoldNextPost();
        var orderId = Guid.NewGuid();

        await api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))?.State == FulfillmentState.Attempting, because: "the Wren call is in flight");
        await _broker.StopAsync();
        release.SetResult();
        await Eventually.TrueAsync(async () => (await fulfillment.FulfillmentAsync(orderId))?.State == FulfillmentState.Placed, because: "placed while the broker is down");
        Assert.Empty(api.Placed);

        await _broker.RestartAsync();

        await Eventually.TrueAsync(() => api.Placed.Any(p => p.OrderId == orderId), TimeSpan.FromSeconds(90), "OffsetOrderPlaced delivered after the restart");
        Assert.Single(_wren.State.Orders);
        Assert.Single(_wren.State.ReceivedPosts);
        Assert.Single(api.Placed);
    }
}
