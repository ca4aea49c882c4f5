using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.StripeSandbox;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.Webhooks;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.TestSupport;

public sealed record CheckoutSession(Guid OrderId, string SessionId, string Url, long AmountTotal, string Currency);

/// <summary>Where a <see cref="PuffinSystem"/>'s services keep their data, for a benchmark that fills them before they start.</summary>
public sealed record SystemDatabases(bool Postgres, string Api, string Fulfillment);

/// <summary>
/// The whole product in one process, as a developer runs it offline: the Stripe sandbox (API, hosted
/// checkout, webhooks, storefront), the Wren sandbox, and the real Api and Fulfillment built as their
/// Programs build them, on Kestrel with their own databases (SQLite files, or PostgreSQL with PUFFIN_TEST_DATABASE=postgres) and a fresh virtual host of a real
/// RabbitMQ node between them. Used by the pipeline tests, the browser tests and the pipeline benchmark.
/// </summary>
public sealed class PuffinSystem : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_TESTONLYsystem0123456789abcdefghij";

    // A token the Wren sandbox treats as live, so orders are stored and can be looked up by their note.
    public const string WrenToken = "puffin-system-TESTONLY";
    public const string WrenTestToken = "wren_test_00000000-0000-4000-8000-000000000000";

    /// <summary>The Api's <c>ADMIN_API_KEY</c>: the admin endpoints and the console at <c>/admin</c> exist.</summary>
    public const string AdminKey = "admin-TESTONLY-system-0123456789abcdef";

    /// <summary>Fulfillment's <c>API_SERVICE_KEY</c>, listed in the Api's <c>SERVICE_API_KEYS_FILE</c>: it asks the Api about refunds.</summary>
    public const string ServiceKey = "fulfillment-TESTONLY-system-0123456789abcdef";

    private readonly TempFolder _folder = new();
    private string _brokerUri = "";
    private bool _dryRun;
    private Action<Dictionary<string, string?>>? _configureFulfillment;
    private Action<IServiceCollection>? _configureFulfillmentServices;
    private LogRecorder? _logs;
    private RabbitMqBroker? _broker;
    private Dictionary<string, string?> _apiSettings = [];

    public StripeSandboxHost Stripe { get; private set; } = null!;
    public WrenSandboxServer Wren { get; private set; } = null!;
    public ServiceHost Api { get; private set; } = null!;
    public ServiceHost Fulfillment { get; private set; } = null!;

    /// <summary>An HTTP client of the Api, as the storefront and Stripe reach it.</summary>
    public HttpClient ApiClient { get; private set; } = null!;

    /// <summary>An operator's HTTP client of the Api, carrying the admin key.</summary>
    public HttpClient AdminClient { get; private set; } = null!;

    /// <summary>Where a person starts: the storefront the Stripe sandbox serves.</summary>
    public Uri StorefrontUrl => Stripe.BaseAddress;

    public StripeSandboxOptions StripeOptions => Stripe.Services.GetRequiredService<IOptions<StripeSandboxOptions>>().Value;

    public EventLog StripeEvents => Stripe.Services.GetRequiredService<EventLog>();

    /// <summary>The AMQP URI of this system's own virtual host.</summary>
    public string BrokerUri => _brokerUri;

    /// <summary>The virtual host's name, as the broker's management API wants it.</summary>
    public string VirtualHost => RabbitMqBroker.VirtualHostOf(_brokerUri);

    /// <param name="dryRun">Fulfillment sends <c>dryRun: true</c> with a <c>wren_test_</c> token.</param>
    /// <param name="apiSettings">Variables of the Api that a test changes (e.g. PAID_ORDER_RESEND_AFTER).</param>
    /// <param name="configureFulfillment">Settings a test changes in Fulfillment (e.g. its retry delays).</param>
    /// <param name="configureFulfillmentServices">Extra registrations in Fulfillment (e.g. a database fault), on every start.</param>
    /// <param name="logs">Also receives the Api's and Fulfillment's log records (Warning and above).</param>
    /// <param name="broker">A node of the test's own (one it may stop); the process's shared node otherwise.</param>
    /// <param name="seed">Fills both services' databases before they start (bench/PipelineBench's history).</param>
    public static async Task<PuffinSystem> StartAsync(bool dryRun = false, Action<Dictionary<string, string?>>? configureFulfillment = null,
        IReadOnlyDictionary<string, string?>? apiSettings = null, Action<IServiceCollection>? configureFulfillmentServices = null,
        LogRecorder? logs = null, RabbitMqBroker? broker = null, Func<SystemDatabases, Task>? seed = null)
    {
        var system = new PuffinSystem
        {
            _dryRun = dryRun,
            _configureFulfillment = configureFulfillment,
            _configureFulfillmentServices = configureFulfillmentServices,
            _logs = logs,
            _broker = broker,
        };
        if (seed is not null)
        {
            await seed(await system.DatabasesAsync());
        }

        await system.StartServicesAsync(apiSettings ?? new Dictionary<string, string?>());
        return system;
    }

    /// <summary>The connection strings of the databases the services will use (the same ones their settings name).</summary>
    private async Task<SystemDatabases> DatabasesAsync() => TestDatabase.IsPostgres
        ? new(true, await TestDatabase.PostgresConnectionStringAsync(ApiDatabaseFile, "orders"),
            await TestDatabase.PostgresConnectionStringAsync(FulfillmentDatabaseFile, "fulfillment"))
        : new(false, $"Data Source={ApiDatabaseFile}", $"Data Source={FulfillmentDatabaseFile}");

    /// <summary>The services' SQLite files (on PostgreSQL, the keys of their databases).</summary>
    private string ApiDatabaseFile => _folder.File("orders.db");

    private string FulfillmentDatabaseFile => _folder.File("fulfillment.db");

    private async Task StartServicesAsync(IReadOnlyDictionary<string, string?> apiSettings)
    {
        var brokerUri = _brokerUri = await (_broker ?? await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        Stripe = await StripeSandboxHost.StartAsync();
        Wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(WrenToken));
        var storefrontOrigin = Stripe.BaseAddress.GetLeftPart(UriPartial.Authority);

        var api = new Dictionary<string, string?>
            {
                ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYsystem",
                ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
                ["STRIPE_API_BASE"] = Stripe.BaseAddress.ToString(),
                ["WREN_API_BASE"] = Wren.BaseAddress.ToString(),
                ["WREN_API_TOKEN"] = WrenToken,
                ["FRONTEND_URL"] = storefrontOrigin,
                ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
                ["ADMIN_API_KEY"] = AdminKey,
                ["ConnectionStrings:messaging"] = brokerUri,
                ["Outbox:MinRetryDelay"] = "00:00:00.100",
                ["Outbox:MaxRetryDelay"] = "00:00:01",
            }.With(await TestDatabase.SettingsAsync("DATABASE_PATH", ApiDatabaseFile, "orders"));
        var serviceKeys = _folder.File("service-keys");
        await File.WriteAllTextAsync(serviceKeys,
            $"fulfillment {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(ServiceKey)))}\n");
        api["SERVICE_API_KEYS_FILE"] = serviceKeys;
        foreach (var (key, value) in apiSettings)
        {
            api[key] = value;
        }

        _apiSettings = api;
        await StartApiAsync();
        // A restarted Api comes back at the address Fulfillment asks about refunds.
        _apiSettings[Microsoft.AspNetCore.Hosting.WebHostDefaults.ServerUrlsKey] = Api.BaseAddress.ToString();
        await StartFulfillmentAsync();
        StripeOptions.WebhookSecret = WebhookSecret;
    }

    /// <summary>Stops the Api gracefully; its database and queues stay, as in a deploy.</summary>
    public async Task StopApiAsync()
    {
        await Api.DisposeAsync();
        Api = null!;
    }

    /// <summary>Starts the Api (again) on its database file; the clients and Stripe follow its new address.</summary>
    public async Task StartApiAsync()
    {
        Api = await ServiceHost.StartApiAsync(_apiSettings, logs: _logs?.For("Api"));
        ApiClient = Api.CreateClient();
        AdminClient = Api.CreateClient();
        AdminClient.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        await Api.WaitUntilReadyAsync();

        // As the AppHost wires it: Stripe posts to the Api, and the storefront calls the Api.
        StripeOptions.WebhookUrl = new Uri(Api.BaseAddress, "/api/webhooks/stripe");
        StripeOptions.PuffinApiUrl = Api.BaseAddress;
    }

    /// <summary>Stops Fulfillment gracefully; its database and queue stay, as in a deploy.</summary>
    public async Task StopFulfillmentAsync()
    {
        await Fulfillment.DisposeAsync();
        Fulfillment = null!;
    }

    /// <summary>Starts Fulfillment (again) on its database file and the system's virtual host.</summary>
    public async Task StartFulfillmentAsync()
    {
        var settings = new Dictionary<string, string?>
            {
                ["WREN_API_BASE"] = Wren.BaseAddress.ToString(),
                ["WREN_API_TOKEN"] = _dryRun ? WrenTestToken : WrenToken,
                ["WREN_DRY_RUN"] = _dryRun.ToString(),
                ["Fulfillment:PollInterval"] = "00:00:00.500",
                ["ConnectionStrings:messaging"] = _brokerUri,
                ["Outbox:MinRetryDelay"] = "00:00:00.100",
                ["Outbox:MaxRetryDelay"] = "00:00:01",
                // As deployed: a delayed purchase is confirmed with the Api first (no MANAGEMENT_URLS here: the main listener).
                ["API_INTERNAL_URLS"] = _apiSettings[Microsoft.AspNetCore.Hosting.WebHostDefaults.ServerUrlsKey],
                ["API_SERVICE_KEY"] = ServiceKey,
            }.With(await TestDatabase.SettingsAsync("FULFILLMENT_DATABASE_PATH", FulfillmentDatabaseFile, "fulfillment"));
        _configureFulfillment?.Invoke(settings);
        Fulfillment = await ServiceHost.StartFulfillmentAsync(settings, _configureFulfillmentServices, _logs?.For("Fulfillment"));
        await Fulfillment.WaitUntilReadyAsync();
    }

    public async Task<CheckoutSession> CreateSessionAsync(decimal tons, int portfolioId = 21)
    {
        using var response = await ApiClient.PostAsJsonAsync("/api/checkout/create-session",
            new { tons, portfolioId, customerEmail = "captain@example.com" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CheckoutSession>())!;
    }

    /// <summary>Posts a fixture event for <paramref name="session"/>, signed now as Stripe signs.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string fixture, CheckoutSession session, string? eventId = null)
    {
        var body = StripeEventFixture.For(fixture, session.SessionId, session.OrderId, eventId);
        return await DeliverAsync(body);
    }

    /// <summary>Posts <paramref name="body"/> (an event's JSON) to the Api's webhook, signed now as Stripe signs.</summary>
    public async Task<HttpResponseMessage> DeliverAsync(string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, WebhookSecret));
        return await ApiClient.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        ApiClient?.Dispose();
        AdminClient?.Dispose();
        if (Fulfillment is not null)
        {
            await Fulfillment.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        await Wren.DisposeAsync();
        await Stripe.DisposeAsync();
        if (_broker is null && _brokerUri.Length > 0)
        {
            await (await RabbitMqBroker.Shared).DeleteVirtualHostAsync(_brokerUri);
        }

        _folder.Dispose();
    }
}
