using System.Net.Http.Json;
using System.Text;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Fulfillment;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.StripeSandbox;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.TestSupport;

/// <summary>
/// The whole system in one test process: the Api and Fulfillment as they run in production (service
/// defaults included), each on its own SQLite file, talking through a real RabbitMQ vhost, with Stripe
/// and Wren replaced by the sandboxes over real HTTP.
/// </summary>
public sealed record CheckoutSession(Guid OrderId, string SessionId, string Url, long AmountTotal, string Currency);

public sealed class PuffinSystem : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_TESTONLYpipeline0123456789abcdefghij";
    public const string WrenToken = "5e2d9c1b-0000-4000-8000-00000000beef";

    private readonly TempFolder _folder;
    private ApiFactory _api = null!;
    private IHost _fulfillment = null!;

    private PuffinSystem(TempFolder folder) => _folder = folder;

    public StripeSandboxHost Stripe { get; private set; } = null!;
    public WrenSandboxServer Wren { get; private set; } = null!;
    public HttpClient Api { get; private set; } = null!;
    public IServiceProvider ApiServices => _api.Services;

    public static async Task<PuffinSystem> StartAsync(bool dryRun = false)
    {
        var system = new PuffinSystem(new TempFolder());
        var brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        system.Stripe = await StripeSandboxHost.StartAsync();
        system.Wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(WrenToken));

        // Program migrates before serving, but a WebApplicationFactory takes over right after Build().
        var apiDatabase = system._folder.File("orders.db");
        await using (var db = new ApiDbContext(new DbContextOptionsBuilder<ApiDbContext>().UseSqlite($"Data Source={apiDatabase}").Options))
        {
            await db.Database.MigrateAsync();
        }

        system._api = new ApiFactory(new Dictionary<string, string?>
        {
            ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYpipeline",
            ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
            ["STRIPE_API_BASE"] = system.Stripe.BaseAddress.ToString(),
            ["WREN_API_BASE"] = system.Wren.BaseAddress.ToString(),
            ["FRONTEND_URL"] = "https://shop.example.test",
            ["DATABASE_PATH"] = apiDatabase,
            ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
            ["ConnectionStrings:messaging"] = brokerUri,
        });
        system.Api = system._api.CreateClient();

        system._fulfillment = await StartFulfillmentAsync(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = brokerUri,
            ["FULFILLMENT_DATABASE_PATH"] = system._folder.File("fulfillment.db"),
            ["WREN_API_TOKEN"] = dryRun ? "wren_test_00000000-0000-4000-8000-000000000000" : WrenToken,
            ["WREN_API_BASE"] = system.Wren.BaseAddress.ToString(),
            ["WREN_DRY_RUN"] = dryRun.ToString(),
        });
        return system;
    }

    private static async Task<IHost> StartFulfillmentAsync(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddFulfillmentServices();
        builder.Services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true);
        var host = builder.Build();
        await host.MigrateDatabaseAsync<FulfillmentDbContext>();
        await host.StartAsync();
        return host;
    }

    public async Task<CheckoutSession> CreateSessionAsync(decimal tons, int portfolioId = 21)
    {
        using var response = await Api.PostAsJsonAsync("/api/checkout/create-session",
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
        return await Api.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        await _fulfillment.StopAsync();
        _fulfillment.Dispose();
        await _api.DisposeAsync();
        await Wren.DisposeAsync();
        await Stripe.DisposeAsync();
        _folder.Dispose();
    }

    private sealed class ApiFactory(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<ApiEntryPoint>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // Benchmarks are not test projects: there is no content-root manifest, and the Api serves no files.
            builder.UseContentRoot(AppContext.BaseDirectory);
            builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureServices(services =>
                services.Configure<MassTransitHostOptions>(options => options.WaitUntilStarted = true));
        }
    }
}
