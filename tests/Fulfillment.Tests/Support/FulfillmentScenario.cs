using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.TestSupport;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>Per test: a fresh broker vhost, a Wren sandbox over real HTTP, a test bus and a temp folder.</summary>
public abstract class FulfillmentScenario : IAsyncLifetime
{
    private readonly TempFolder _folder = new();

    protected string BrokerUri { get; private set; } = "";
    protected WrenSandboxServer Wren { get; private set; } = null!;
    protected TestBus Api { get; private set; } = null!;
    protected ConsumeCounter Deliveries { get; } = new();
    protected string DatabasePath => _folder.File("fulfillment.db");

    public virtual async Task InitializeAsync()
    {
        BrokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        Wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(FulfillmentTestHost.LiveToken));
        Api = await TestBus.StartAsync(BrokerUri);
    }

    public virtual async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Wren.DisposeAsync();
        await (await RabbitMqBroker.Shared).DeleteVirtualHostAsync(BrokerUri);
        _folder.Dispose();
    }

    protected Task<FulfillmentTestHost> StartFulfillmentAsync(
        Action<Dictionary<string, string?>>? configure = null,
        Action<IServiceCollection>? services = null) =>
        FulfillmentTestHost.StartAsync(DatabasePath, BrokerUri, Wren.BaseAddress, configure, s =>
        {
            s.AddConsumeObserver(_ => Deliveries);
            services?.Invoke(s);
        });

    protected Task PlacedAsync(Guid orderId) =>
        Eventually.TrueAsync(() => Api.Placed.Any(p => p.OrderId == orderId), Eventually.DefaultTimeout, "OffsetOrderPlaced arrives");

    protected Task FailedAsync(Guid orderId) =>
        Eventually.TrueAsync(() => Api.Failed.Any(p => p.OrderId == orderId), Eventually.DefaultTimeout, "OffsetOrderFailed arrives");
}
