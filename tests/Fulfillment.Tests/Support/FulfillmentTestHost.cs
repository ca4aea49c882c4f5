using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// The Fulfillment service as it runs in production (service defaults included), on a real SQLite file or PostgreSQL
/// database and broker vhost: the Fulfillment tests' settings and helpers over the one <see cref="ServiceHost"/>.
/// </summary>
public sealed class FulfillmentTestHost(ServiceHost host) : IAsyncDisposable
{
    public const string LiveToken = "4f1c2a9e-0000-4000-8000-00000000c0de";

    public IServiceProvider Services => host.Services;

    /// <summary>The service's own HTTP endpoints (health), on a free loopback port.</summary>
    public HttpClient CreateClient() => host.CreateClient();

    public static async Task<FulfillmentTestHost> StartAsync(
        string databasePath,
        string brokerUri,
        Uri wrenBase,
        Action<Dictionary<string, string?>>? configure = null,
        Action<IServiceCollection>? services = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = brokerUri,
            ["WREN_API_TOKEN"] = LiveToken,
            ["WREN_API_BASE"] = wrenBase.ToString(),
            ["WREN_DRY_RUN"] = "false",
            ["Fulfillment:PollInterval"] = "00:00:00.500",
            ["Fulfillment:RetryDelays:0"] = "00:00:00.050",
            ["Fulfillment:RetryDelays:1"] = "00:00:00.100",
            ["Fulfillment:RetryDelays:2"] = "00:00:00.200",
            ["Fulfillment:RetryHorizon"] = "00:01:00",
            ["Fulfillment:UnknownOutcomeSettleTime"] = "00:00:00.001",
            ["Fulfillment:WrenTimeout"] = "00:00:05",
            ["Outbox:PollInterval"] = "00:00:05",
            ["Outbox:MinRetryDelay"] = "00:00:00.100",
            ["Outbox:MaxRetryDelay"] = "00:00:01",
            ["Outbox:PublishTimeout"] = "00:00:05",
        }.With(await TestDatabase.SettingsAsync("FULFILLMENT_DATABASE_PATH", databasePath, "fulfillment"));
        configure?.Invoke(settings);
        // Short, so that a PostgreSQL test that "kills" a host sees another take over in seconds; always
        // longer than a lookup and a POST (the service refuses a shorter one).
        if (!settings.ContainsKey("Fulfillment:LeaseDuration"))
        {
            var wrenTimeout = TimeSpan.Parse(settings["Fulfillment:WrenTimeout"]!, System.Globalization.CultureInfo.InvariantCulture);
            var lease = 2 * wrenTimeout + TimeSpan.FromSeconds(1);
            settings["Fulfillment:LeaseDuration"] = (lease > TimeSpan.FromSeconds(11) ? lease : TimeSpan.FromSeconds(11)).ToString("c");
        }

        return new FulfillmentTestHost(await ServiceHost.StartFulfillmentAsync(settings, s =>
        {
            s.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
            services?.Invoke(s);
        }));
    }

    public async Task<OffsetFulfillment?> FulfillmentAsync(Guid orderId)
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().Fulfillments.AsNoTracking()
            .SingleOrDefaultAsync(f => f.OrderId == orderId);
    }

    public async Task<int> InboxCountAsync()
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>().InboxMessages.CountAsync();
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}
