using System.Globalization;
using PuffinOffset.StripeSandbox;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.Replica.Tests;

/// <summary>
/// The production shape on one machine: Api and Fulfillment replicas as their own processes (the built
/// Api.dll / Fulfillment.dll run with dotnet), configured only through the contract's environment variables,
/// on one PostgreSQL server (a database per service) and one RabbitMQ virtual host, with the Stripe and
/// Wren sandboxes as the outside world over HTTP. Replicas are numbered slots: a slot restarted "as systemd
/// would" gets a new process with the same variables on the same port.
/// </summary>
public sealed class ReplicaCluster : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_TESTONLYreplica0123456789abcdefghij";
    public const string AdminKey = "admin-TESTONLY-replica-0123456789abcdef";

    // A token the Wren sandbox treats as live: orders are stored and can be looked up by their note.
    private const string WrenToken = "replica-suite-TESTONLY";

    /// <summary>Short timers so a lapsed lease or an unknown outcome resolves in seconds, not minutes.</summary>
    public static readonly TimeSpan WrenTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(11);

    private readonly ServiceProcess?[] _apis;
    private readonly ServiceProcess?[] _fulfillments;
    private readonly List<ServiceProcess> _retired = [];
    private readonly Dictionary<string, string> _apiVariables;
    private readonly Dictionary<string, string> _fulfillmentVariables;
    private readonly int[] _apiPorts;
    private readonly TempFolder _folder = new();

    private ReplicaCluster(RabbitMqBroker broker, string brokerUri, string ordersDatabase, string fulfillmentDatabase,
        StripeSandboxHost stripe, WrenSandboxServer wren, int apis, int fulfillments)
    {
        Broker = broker;
        BrokerUri = brokerUri;
        OrdersDatabase = ordersDatabase;
        FulfillmentDatabase = fulfillmentDatabase;
        Stripe = stripe;
        Wren = wren;
        _apis = new ServiceProcess?[apis];
        _fulfillments = new ServiceProcess?[fulfillments];
        var outbox = new Dictionary<string, string>
        {
            ["Outbox__PollInterval"] = "00:00:01",
            ["Outbox__MinRetryDelay"] = "00:00:00.100",
            ["Outbox__MaxRetryDelay"] = "00:00:01",
            ["Outbox__PublishTimeout"] = "00:00:05",
        };
        var common = new Dictionary<string, string>(outbox)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DATABASE_PROVIDER"] = "postgres",
            ["ConnectionStrings__messaging"] = brokerUri,
            ["WREN_API_BASE"] = wren.BaseAddress.ToString(),
            ["WREN_API_TOKEN"] = WrenToken,
            // Five processes logging every request would cost the shared machine more than the work itself.
            ["Logging__LogLevel__Default"] = "Warning",
        };
        _apiVariables = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__orders"] = ordersDatabase,
            ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYreplica",
            ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
            ["STRIPE_API_BASE"] = stripe.BaseAddress.ToString(),
            ["FRONTEND_URL"] = "http://localhost:5173",
            ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
            ["ADMIN_API_KEY"] = AdminKey,
        };
        _fulfillmentVariables = new Dictionary<string, string>(common)
        {
            ["ConnectionStrings__fulfillment"] = fulfillmentDatabase,
            ["WREN_DRY_RUN"] = "false",
            ["Fulfillment__PollInterval"] = "00:00:00.500",
            ["Fulfillment__RetryDelays__0"] = "00:00:00.200",
            ["Fulfillment__RetryDelays__1"] = "00:00:00.500",
            ["Fulfillment__RetryDelays__2"] = "00:00:01",
            ["Fulfillment__RetryHorizon"] = "00:10:00",
            ["Fulfillment__WrenTimeout"] = WrenTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Fulfillment__UnknownOutcomeSettleTime"] = "00:00:01",
            ["Fulfillment__LeaseDuration"] = LeaseDuration.ToString("c", CultureInfo.InvariantCulture),
            ["Fulfillment__MaxConcurrency"] = "8",
        };
        // Fulfillment knows every Api replica's address before any has started.
        _apiPorts = [.. Enumerable.Range(0, apis).Select(_ => RabbitMqBroker.FreeTcpPort())];
        RefundCheckWiring.Apply(_apiVariables, _fulfillmentVariables, _folder.File("service-keys"), _apiPorts);
    }

    public RabbitMqBroker Broker { get; }
    public string BrokerUri { get; }
    public string VirtualHost => RabbitMqBroker.VirtualHostOf(BrokerUri);
    public string OrdersDatabase { get; }
    public string FulfillmentDatabase { get; }
    public StripeSandboxHost Stripe { get; }
    public WrenSandboxServer Wren { get; }

    public ServiceProcess Api(int slot) => _apis[slot] ?? throw new InvalidOperationException($"api-{slot} is not running.");

    public ServiceProcess Fulfillment(int slot) => _fulfillments[slot] ?? throw new InvalidOperationException($"fulfillment-{slot} is not running.");

    /// <summary>Starts every replica at once (their migrations meet EF Core's migration lock) and waits until each is ready.</summary>
    public static async Task<ReplicaCluster> StartAsync(int apis, int fulfillments)
    {
        var broker = await RabbitMqBroker.Shared;
        var brokerUri = await broker.CreateVirtualHostAsync();
        var postgres = await PostgresServer.Shared;
        var orders = await postgres.CreateDatabaseAsync("replica_orders");
        var fulfillment = await postgres.CreateDatabaseAsync("replica_fulfillment");
        var stripe = await StripeSandboxHost.StartAsync();
        var wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(WrenToken));
        var cluster = new ReplicaCluster(broker, brokerUri, orders, fulfillment, stripe, wren, apis, fulfillments);
        try
        {
            await Task.WhenAll(
                Enumerable.Range(0, apis).Select(slot => cluster.StartApiAsync(slot))
                    .Concat(Enumerable.Range(0, fulfillments).Select(slot => cluster.StartFulfillmentAsync(slot))));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>As systemd's Restart= would: the same variables, the same port, a new process.</summary>
    public Task RestartApiAsync(int slot) => StartApiAsync(slot, _apis[slot]?.BaseAddress.Port);

    public Task RestartFulfillmentAsync(int slot) => StartFulfillmentAsync(slot, _fulfillments[slot]?.BaseAddress.Port);

    private Task StartApiAsync(int slot, int? port = null) =>
        StartAsync(_apis, slot, typeof(ApiEntryPoint).Assembly.Location, _apiVariables, "api", port ?? _apiPorts[slot]);

    private Task StartFulfillmentAsync(int slot, int? port = null) =>
        StartAsync(_fulfillments, slot, typeof(FulfillmentEntryPoint).Assembly.Location, _fulfillmentVariables, "fulfillment", port);

    private async Task StartAsync(ServiceProcess?[] slots, int slot, string assembly, Dictionary<string, string> variables, string role, int? port)
    {
        if (slots[slot] is { } previous)
        {
            lock (_retired)
            {
                _retired.Add(previous);
            }
        }

        var name = slots[slot] is null ? $"{role}-{slot}" : $"{role}-{slot} (restarted)";
        slots[slot] = await ServiceProcess.StartAsync(assembly, variables, name, port: port);
    }

    /// <summary>The newest output of every replica still known, for a failure message.</summary>
    public string Outputs() => string.Join("\n\n", _retired.Concat(_apis).Concat(_fulfillments).OfType<ServiceProcess>()
        .Select(service => $"--- {service}{(service.HasExited ? " (exited)" : "")}\n{Tail(service.Output, 40)}"));

    private static string Tail(string output, int lines) => string.Join('\n', output.Split('\n').TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        // Kill, not stop: a failed run must not wait for graceful stops, and every process must be gone.
        await Task.WhenAll(_apis.Concat(_fulfillments).OfType<ServiceProcess>().Concat(_retired).Select(service => service.DisposeAsync().AsTask()));
        await Wren.DisposeAsync();
        await Stripe.DisposeAsync();
        _folder.Dispose();
    }
}
