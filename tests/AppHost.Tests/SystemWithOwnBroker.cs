using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>
/// One AppHost on a broker of its own, shared by the classes of this collection: starting an AppHost (a broker,
/// DCP, two sandboxes and both services) is the slowest thing these tests do. The broker is the collection's
/// own because the outage test stops and restarts it; every test leaves both services healthy.
/// </summary>
public sealed class SystemWithOwnBroker : IAsyncLifetime
{
    public const string Name = "AppHost with its own broker";
    public const string AdminKey = "admin-TESTONLY-apphost-0123456789abcdef";

    private RabbitMqBroker? _broker;
    private SystemUnderTest? _system;

    public RabbitMqBroker Broker => _broker ?? throw new InvalidOperationException("The collection fixture has not started.");

    public SystemUnderTest System => _system ?? throw new InvalidOperationException("The collection fixture has not started.");

    public async Task InitializeAsync()
    {
        _broker = await RabbitMqBroker.StartAsync("apphost-own");
        _system = await SystemUnderTest.StartAsync($"ConnectionStrings:messaging={_broker.ConnectionString()}", $"ADMIN_API_KEY={AdminKey}");
    }

    public async Task DisposeAsync()
    {
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }

        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}

[CollectionDefinition(SystemWithOwnBroker.Name)]
public sealed class SystemWithOwnBrokerCollection : ICollectionFixture<SystemWithOwnBroker>;
