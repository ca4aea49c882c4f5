using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PuffinOffset.StripeSandbox;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.Webhooks;
using PuffinOffset.TestSupport;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.Chaos;

/// <summary>Which kind of replica a slot holds.</summary>
public enum Role { Api, Fulfillment }

/// <summary>
/// The system under the soak, in its production shape: Api and Fulfillment replicas as their own processes
/// (the built Api.dll / Fulfillment.dll), configured only through the contract's variables, on PostgreSQL (one
/// server, a database per service) or SQLite files (one process each), one RabbitMQ node, and the Stripe and
/// Wren sandboxes as the outside world. The sandbox raises Stripe's events but delivers none itself: the
/// <see cref="WebhookCourier"/> does, late, twice, out of order or never. Replicas are numbered slots; a slot
/// restarted "as systemd would" gets a new process with the same variables on the same port.
/// </summary>
public sealed class SoakCluster : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_TESTONLYchaos0123456789abcdefghijk";
    public const string AdminKey = "admin-TESTONLY-chaos-soak-0123456789abcdef";

    // A token the Wren sandbox treats as live: orders are stored and can be looked up by their note.
    private const string WrenToken = "chaos-soak-TESTONLY";

    /// <summary>Short timers so a lapsed lease, an unknown outcome, a late Wren order or a lost webhook resolves in seconds.</summary>
    public static readonly TimeSpan WrenTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(11);
    public static readonly TimeSpan UnknownOutcomeSettleTime = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan ReconcileAfter = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan ResendAfter = TimeSpan.FromSeconds(20);
    public static readonly TimeSpan LateOrderCheckAfter = TimeSpan.FromSeconds(10);

    private readonly ServiceProcess?[] _apis;
    private readonly ServiceProcess?[] _fulfillments;
    private readonly int?[] _apiPorts;
    private readonly int?[] _fulfillmentPorts;
    private readonly TempFolder _folder;
    private readonly Dictionary<string, string> _apiVariables;
    private readonly Dictionary<string, string> _fulfillmentVariables;

    private SoakCluster(SoakOptions options, RabbitMqBroker broker, string brokerUri, PostgresServer? postgres, string ordersDatabase,
        string fulfillmentDatabase, TempFolder folder, StripeSandboxHost stripe, WrenSandboxServer wren)
    {
        Options = options;
        Broker = broker;
        BrokerUri = brokerUri;
        Postgres = postgres;
        OrdersDatabase = ordersDatabase;
        FulfillmentDatabase = fulfillmentDatabase;
        _folder = folder;
        Stripe = stripe;
        Wren = wren;
        _apis = new ServiceProcess?[options.ApiReplicas];
        _fulfillments = new ServiceProcess?[options.FulfillmentReplicas];
        _apiPorts = new int?[options.ApiReplicas];
        _fulfillmentPorts = new int?[options.FulfillmentReplicas];
        var common = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DATABASE_PROVIDER"] = options.Provider,
            ["ConnectionStrings__messaging"] = brokerUri,
            ["WREN_API_BASE"] = wren.BaseAddress.ToString(),
            ["WREN_API_TOKEN"] = WrenToken,
            ["Outbox__PollInterval"] = "00:00:01",
            ["Outbox__MinRetryDelay"] = "00:00:00.100",
            ["Outbox__MaxRetryDelay"] = "00:00:01",
            ["Outbox__PublishTimeout"] = "00:00:05",
            // The ledger reads every published outbox row and every inbox row of the run (MessageLedger): none may be
            // deleted before it is judged. These are the defaults, stated because the ledger depends on them.
            ["MessageRetention__DispatchedOutbox"] = "7.00:00:00",
            ["MessageRetention__Inbox"] = "30.00:00:00",
            // Five processes logging every request would cost the shared machine more than the work itself.
            ["Logging__LogLevel__Default"] = "Warning",
        };
        _apiVariables = new Dictionary<string, string>(common)
        {
            [options.Postgres ? "ConnectionStrings__orders" : "DATABASE_PATH"] = ordersDatabase,
            ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYchaos",
            ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
            ["STRIPE_API_BASE"] = stripe.BaseAddress.ToString(),
            ["FRONTEND_URL"] = "http://localhost:5173",
            ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
            ["ADMIN_API_KEY"] = AdminKey,
            ["PAID_ORDER_RESEND_AFTER"] = Span(ResendAfter),
            ["STRIPE_RECONCILE_AFTER"] = Span(ReconcileAfter),
            ["STRIPE_RECONCILE_INTERVAL"] = "00:00:05",
        };
        _fulfillmentVariables = new Dictionary<string, string>(common)
        {
            [options.Postgres ? "ConnectionStrings__fulfillment" : "FULFILLMENT_DATABASE_PATH"] = fulfillmentDatabase,
            ["WREN_DRY_RUN"] = "false",
            ["WREN_MAX_RETRY_AFTER"] = "00:00:05",
            ["Fulfillment__PollInterval"] = "00:00:00.500",
            ["Fulfillment__RetryDelays__0"] = "00:00:00.200",
            ["Fulfillment__RetryDelays__1"] = "00:00:00.500",
            ["Fulfillment__RetryDelays__2"] = "00:00:01",
            ["Fulfillment__RetryHorizon"] = "00:10:00",
            ["Fulfillment__WrenTimeout"] = Span(WrenTimeout),
            ["Fulfillment__UnknownOutcomeSettleTime"] = Span(UnknownOutcomeSettleTime),
            ["Fulfillment__LeaseDuration"] = Span(LeaseDuration),
            ["Fulfillment__LateOrderCheckAfter"] = Span(LateOrderCheckAfter),
            ["Fulfillment__MaxConcurrency"] = "8",
        };
        // Fulfillment asks every Api replica about refunds: their ports are fixed before any starts.
        for (var slot = 0; slot < _apiPorts.Length; slot++)
        {
            _apiPorts[slot] = RabbitMqBroker.FreeTcpPort();
        }

        RefundCheckWiring.Apply(_apiVariables, _fulfillmentVariables, folder.File("service-keys"), _apiPorts.Select(port => port!.Value));
    }

    public SoakOptions Options { get; }
    public RabbitMqBroker Broker { get; }
    public string BrokerUri { get; }
    public string VirtualHost => RabbitMqBroker.VirtualHostOf(BrokerUri);

    /// <summary>Null on SQLite.</summary>
    public PostgresServer? Postgres { get; }

    /// <summary>The Api's database: a PostgreSQL connection string, or the SQLite file's path.</summary>
    public string OrdersDatabase { get; }

    public string FulfillmentDatabase { get; }
    public StripeSandboxHost Stripe { get; }
    public WrenSandboxServer Wren { get; }
    public EventLog StripeEvents => Stripe.Services.GetRequiredService<EventLog>();

    public int Slots(Role role) => Replicas(role).Length;

    /// <summary>The process in a slot now (it may be dead, paused or stopping: the soak's faults put it there).</summary>
    public ServiceProcess? this[Role role, int slot] => Replicas(role)[slot];

    public static string Name(Role role, int slot) => $"{(role == Role.Api ? "api" : "fulfillment")}-{slot}";

    public static async Task<SoakCluster> StartAsync(SoakOptions options)
    {
        // A node of its own, killable (its own epmd, its own process group, a watchdog): SIGKILL of the node is one of the faults.
        var broker = await RabbitMqBroker.StartAsync("chaos", killable: true);
        var brokerUri = await broker.CreateVirtualHostAsync("chaos");
        var folder = new TempFolder();
        PostgresServer? postgres = null;
        string orders, fulfillment;
        if (options.Postgres)
        {
            postgres = await PostgresServer.Shared;
            orders = await postgres.CreateDatabaseAsync("chaos_orders");
            fulfillment = await postgres.CreateDatabaseAsync("chaos_fulfillment");
        }
        else
        {
            orders = folder.File("orders.db");
            fulfillment = folder.File("fulfillment.db");
        }

        var stripe = await StripeSandboxHost.StartAsync();
        var stripeOptions = stripe.Services.GetRequiredService<IOptions<StripeSandboxOptions>>().Value;
        stripeOptions.DeliverWebhooks = false; // the courier delivers them
        var wren = await WrenSandboxServer.StartAsync(wrenOptions => wrenOptions.LiveTokens.Add(WrenToken));
        var cluster = new SoakCluster(options, broker, brokerUri, postgres, orders, fulfillment, folder, stripe, wren);
        try
        {
            await Task.WhenAll(
                Enumerable.Range(0, options.ApiReplicas).Select(slot => cluster.StartAsync(Role.Api, slot, cluster._apiPorts[slot]))
                    .Concat(Enumerable.Range(0, options.FulfillmentReplicas).Select(slot => cluster.StartAsync(Role.Fulfillment, slot, port: null))));
            if (options.Postgres)
            {
                // The soak's instrument for the claim stall, in the database the replicas have just migrated.
                await ClaimGate.InstallAsync(fulfillment);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>
    /// As systemd's Restart= would: the same variables, the same port, a new process (the old one is disposed). The slot
    /// is emptied first, so that a start that fails leaves no disposed process for the next fault (or the all-clear) to
    /// touch; the port is remembered apart from the process.
    /// </summary>
    public async Task RestartAsync(Role role, int slot)
    {
        var previous = Replicas(role)[slot];
        Replicas(role)[slot] = null;
        ProcessWatchdog.Shared.Release(Name(role, slot));
        if (previous is not null)
        {
            await previous.DisposeAsync();
        }

        await StartAsync(role, slot, Ports(role)[slot]);
    }

    private async Task StartAsync(Role role, int slot, int? port)
    {
        var (assembly, variables) = role == Role.Api
            ? (typeof(ApiEntryPoint).Assembly.Location, _apiVariables)
            : (typeof(FulfillmentEntryPoint).Assembly.Location, _fulfillmentVariables);
        // Readiness gets longer than the test default: on a machine shared with builds a replica took more than two
        // minutes to start, and the soak died before its first order.
        var process = await ServiceProcess.StartAsync(assembly, variables, Name(role, slot), port: port,
            logPath: _folder.File($"{Name(role, slot)}-{DateTime.UtcNow:HHmmss.fff}.log"), readinessTimeout: TimeSpan.FromMinutes(5));
        Ports(role)[slot] = process.BaseAddress.Port;
        Replicas(role)[slot] = process;
        // Killed with the soak however it ends (a SIGKILL of the soak runs no exit handler).
        ProcessWatchdog.Shared.GuardProcess(Name(role, slot), process.Id);
    }

    /// <summary>The base address of an Api slot, whatever state its process is in.</summary>
    public Uri ApiAddress(int slot) => _apiPorts[slot] is { } port
        ? new Uri($"http://127.0.0.1:{port}/")
        : throw new InvalidOperationException($"api-{slot} never started.");

    /// <summary>The last lines of every replica's output, for a failed start or a violation that needs them.</summary>
    public string Outputs(int lines) => string.Join("\n\n", _apis.Concat(_fulfillments).OfType<ServiceProcess>()
        .Select(service => $"--- {service}{(service.HasExited ? " (exited)" : "")}\n{string.Join('\n', service.Output.Split('\n').TakeLast(lines))}"));

    /// <summary>CPU time of each replica's current process ("api-0 41 s, …"): where the machine's time went.</summary>
    public string CpuTimes() => string.Join(", ", new[] { Role.Api, Role.Fulfillment }
        .SelectMany(role => Enumerable.Range(0, Slots(role)).Select(slot => (Name: Name(role, slot), Process: this[role, slot])))
        .Where(replica => replica.Process is { HasExited: false })
        .Select(replica => $"{replica.Name} {replica.Process!.CpuTime.TotalSeconds:0} s"));

    /// <summary>Where every replica's full output is kept (deleted at the end unless the soak found violations).</summary>
    public string LogFolder => _folder.Path;

    private ServiceProcess?[] Replicas(Role role) => role == Role.Api ? _apis : _fulfillments;

    private int?[] Ports(Role role) => role == Role.Api ? _apiPorts : _fulfillmentPorts;

    private static string Span(TimeSpan span) => span.ToString("c", CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_apis.Concat(_fulfillments).OfType<ServiceProcess>().Select(async service =>
        {
            await service.ResumeAsync(); // a stopped process cannot die of SIGKILL until it runs again
            await service.DisposeAsync();
        }));
        foreach (var role in new[] { Role.Api, Role.Fulfillment })
        {
            for (var slot = 0; slot < Slots(role); slot++)
            {
                ProcessWatchdog.Shared.Release(Name(role, slot));
            }
        }

        await Wren.DisposeAsync();
        await Stripe.DisposeAsync();
        await Broker.DisposeAsync();
    }

    /// <summary>Keeps the replicas' logs (the soak found something to trace) instead of deleting them with the run.</summary>
    public void KeepLogs(string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(_folder.Path, "*.log"))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)), overwrite: true);
        }
    }

    public void DeleteFolder() => _folder.Dispose();
}
