using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PuffinOffset.Api;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Fulfillment;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.StripeSandbox;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.Webhooks;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.TestSupport;

public sealed record CheckoutSession(Guid OrderId, string SessionId, string Url, long AmountTotal, string Currency);

/// <summary>
/// The whole product in one process, as a developer runs it offline: the Stripe sandbox (API, hosted
/// checkout, webhooks, storefront), the Wren sandbox, and the real Api and Fulfillment built as their
/// Programs build them, on Kestrel with their own SQLite files and a fresh virtual host of a real
/// RabbitMQ node between them. Used by the pipeline tests, the browser tests and the pipeline benchmark.
/// </summary>
public sealed class PuffinSystem : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_TESTONLYsystem0123456789abcdefghij";

    // A token the Wren sandbox treats as live, so orders are stored and can be looked up by their note.
    public const string WrenToken = "puffin-system-TESTONLY";
    public const string WrenTestToken = "wren_test_00000000-0000-4000-8000-000000000000";

    private readonly TempFolder _folder = new();

    public StripeSandboxHost Stripe { get; private set; } = null!;
    public WrenSandboxServer Wren { get; private set; } = null!;
    public ServiceHost Api { get; private set; } = null!;
    public ServiceHost Fulfillment { get; private set; } = null!;

    /// <summary>An HTTP client of the Api, as the storefront and Stripe reach it.</summary>
    public HttpClient ApiClient { get; private set; } = null!;

    /// <summary>Where a person starts: the storefront the Stripe sandbox serves.</summary>
    public Uri StorefrontUrl => Stripe.BaseAddress;

    public StripeSandboxOptions StripeOptions => Stripe.Services.GetRequiredService<IOptions<StripeSandboxOptions>>().Value;

    public EventLog StripeEvents => Stripe.Services.GetRequiredService<EventLog>();

    /// <param name="dryRun">Fulfillment sends <c>dryRun: true</c> with a <c>wren_test_</c> token.</param>
    /// <param name="configureFulfillment">Settings a test changes in Fulfillment (e.g. its retry delays).</param>
    public static async Task<PuffinSystem> StartAsync(bool dryRun = false, Action<Dictionary<string, string?>>? configureFulfillment = null)
    {
        var system = new PuffinSystem();
        await system.StartServicesAsync(dryRun, configureFulfillment);
        return system;
    }

    private async Task StartServicesAsync(bool dryRun, Action<Dictionary<string, string?>>? configureFulfillment)
    {
        var brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        Stripe = await StripeSandboxHost.StartAsync();
        Wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(WrenToken));
        var storefrontOrigin = Stripe.BaseAddress.GetLeftPart(UriPartial.Authority);

        Api = await ServiceHost.StartAsync(new Dictionary<string, string?>
            {
                ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYsystem",
                ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
                ["STRIPE_API_BASE"] = Stripe.BaseAddress.ToString(),
                ["WREN_API_BASE"] = Wren.BaseAddress.ToString(),
                ["WREN_API_TOKEN"] = WrenToken,
                ["FRONTEND_URL"] = storefrontOrigin,
                ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
                ["ConnectionStrings:messaging"] = brokerUri,
                ["Outbox:MinRetryDelay"] = "00:00:00.100",
                ["Outbox:MaxRetryDelay"] = "00:00:01",
            }.With(await TestDatabase.SettingsAsync("DATABASE_PATH", _folder.File("orders.db"), "orders")),
            builder => builder.AddApiServices(),
            app => app.UseApi(),
            app => app.MigrateDatabaseAsync<ApiDbContext>());
        ApiClient = new HttpClient { BaseAddress = Api.BaseAddress };

        var fulfillmentSettings = new Dictionary<string, string?>
            {
                ["WREN_API_BASE"] = Wren.BaseAddress.ToString(),
                ["WREN_API_TOKEN"] = dryRun ? WrenTestToken : WrenToken,
                ["WREN_DRY_RUN"] = dryRun.ToString(),
                ["Fulfillment:PollInterval"] = "00:00:00.500",
                ["ConnectionStrings:messaging"] = brokerUri,
                ["Outbox:MinRetryDelay"] = "00:00:00.100",
                ["Outbox:MaxRetryDelay"] = "00:00:01",
            }.With(await TestDatabase.SettingsAsync("FULFILLMENT_DATABASE_PATH", _folder.File("fulfillment.db"), "fulfillment"));
        configureFulfillment?.Invoke(fulfillmentSettings);
        Fulfillment = await ServiceHost.StartAsync(fulfillmentSettings,
            builder => builder.AddFulfillmentServices(),
            app => app.UseFulfillment(),
            app => app.MigrateDatabaseAsync<FulfillmentDbContext>());

        // As the AppHost wires it: Stripe posts to the Api, and the storefront calls the Api.
        StripeOptions.WebhookUrl = new Uri(Api.BaseAddress, "/api/webhooks/stripe");
        StripeOptions.WebhookSecret = WebhookSecret;
        StripeOptions.PuffinApiUrl = Api.BaseAddress;
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
        _folder.Dispose();
    }
}
