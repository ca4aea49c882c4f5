using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>A test class's own virtual host on the shared RabbitMQ node and its own folder for database files.</summary>
public abstract class BrokerTestBase : IAsyncLifetime, IDisposable
{
    protected TempFolder Folder { get; } = new();

    protected string BrokerUri { get; private set; } = "";

    public async Task InitializeAsync() =>
        BrokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();

    public async Task DisposeAsync() => await (await RabbitMqBroker.Shared).DeleteVirtualHostAsync(BrokerUri);

    public void Dispose() => Folder.Dispose();
}
