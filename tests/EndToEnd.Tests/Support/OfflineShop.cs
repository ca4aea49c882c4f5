using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PuffinOffset.Api;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Fulfillment;
using PuffinOffset.Fulfillment.Admin;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.StripeSandbox;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.Webhooks;
using PuffinOffset.TestSupport;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.EndToEnd.Tests.Support;

/// <summary>
/// The whole product as a developer runs it offline: the Stripe sandbox (API, hosted checkout, webhooks,
/// storefront), the Wren sandbox, the real Api and Fulfillment on Kestrel with their own SQLite files,
/// and a fresh virtual host of a real RabbitMQ node between them.
/// </summary>
public sealed class OfflineShop : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_TESTONLYendToEnd0123456789abcdefghij";

    // A token the Wren sandbox treats as live, so orders are stored and can be looked up by their note.
    public const string WrenToken = "puffin-end-to-end-TESTONLY";

    private readonly TempFolder _folder = new();

    public StripeSandboxHost Stripe { get; private set; } = null!;
    public WrenSandboxServer Wren { get; private set; } = null!;
    public ServiceHost Api { get; private set; } = null!;
    public ServiceHost Fulfillment { get; private set; } = null!;

    /// <summary>Where a person starts: the storefront the sandbox serves.</summary>
    public Uri StorefrontUrl => Stripe.BaseAddress;

    public StripeSandboxOptions StripeOptions => Stripe.Services.GetRequiredService<IOptions<StripeSandboxOptions>>().Value;

    public EventLog StripeEvents => Stripe.Services.GetRequiredService<EventLog>();

    public static async Task<OfflineShop> StartAsync()
    {
        var shop = new OfflineShop();
        await shop.StartServicesAsync();
        return shop;
    }

    private async Task StartServicesAsync()
    {
        var brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        Stripe = await StripeSandboxHost.StartAsync();
        Wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(WrenToken));
        var storefrontOrigin = Stripe.BaseAddress.GetLeftPart(UriPartial.Authority);

        Api = await ServiceHost.StartAsync(new Dictionary<string, string?>
            {
                ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYendToEnd",
                ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
                ["STRIPE_API_BASE"] = Stripe.BaseAddress.ToString(),
                ["WREN_API_BASE"] = Wren.BaseAddress.ToString(),
                ["WREN_API_TOKEN"] = WrenToken,
                ["FRONTEND_URL"] = storefrontOrigin,
                ["DATABASE_PATH"] = _folder.File("orders.db"),
                ["ConnectionStrings:messaging"] = brokerUri,
                ["Outbox:MinRetryDelay"] = "00:00:00.100",
                ["Outbox:MaxRetryDelay"] = "00:00:01",
            },
            builder => builder.AddApiServices(),
            app => app.UseApi(),
            app => app.MigrateDatabaseAsync<ApiDbContext>());

        Fulfillment = await ServiceHost.StartAsync(new Dictionary<string, string?>
            {
                ["WREN_API_BASE"] = Wren.BaseAddress.ToString(),
                ["WREN_API_TOKEN"] = WrenToken,
                ["WREN_DRY_RUN"] = "false",
                ["FULFILLMENT_DATABASE_PATH"] = _folder.File("fulfillment.db"),
                ["Fulfillment:PollInterval"] = "00:00:00.500",
                ["ConnectionStrings:messaging"] = brokerUri,
                ["Outbox:MinRetryDelay"] = "00:00:00.100",
                ["Outbox:MaxRetryDelay"] = "00:00:01",
            },
            builder => builder.AddFulfillmentServices(),
            app =>
            {
                app.MapDefaultEndpoints();
                app.MapFulfillmentAdmin();
            },
            app => app.MigrateDatabaseAsync<FulfillmentDbContext>());

        // As the AppHost wires it: Stripe posts to the Api, and the storefront calls the Api.
        StripeOptions.WebhookUrl = new Uri(Api.BaseAddress, "/api/webhooks/stripe");
        StripeOptions.WebhookSecret = WebhookSecret;
        StripeOptions.PuffinApiUrl = Api.BaseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        await Fulfillment.DisposeAsync();
        await Api.DisposeAsync();
        await Wren.DisposeAsync();
        await Stripe.DisposeAsync();
        _folder.Dispose();
    }
}
