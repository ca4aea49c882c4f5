using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>The real Api (a real SQLite file or PostgreSQL database, real broker vhost, Stripe sandbox and Wren stub over HTTP).</summary>
public sealed class ApiHost(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<ApiEntryPoint>
{
    public const string WebhookSecret = "whsec_TESTONLY0123456789abcdefghijABCDEFGHIJ";
    public const string FrontendOrigin = "https://shop.example.test";

    public static async Task<ApiHost> StartAsync(string databasePath, string brokerUri, Uri stripeBase, Uri wrenBase,
        Action<Dictionary<string, string?>>? configure = null)
    {
        // The Api's migration step (a hosted service) brings the schema of either engine up to date as the host starts.
        var database = await TestDatabase.SettingsAsync("DATABASE_PATH", databasePath, "orders");
        var settings = new Dictionary<string, string?>
        {
            ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYsecretkey",
            ["STRIPE_WEBHOOK_SECRET"] = WebhookSecret,
            ["STRIPE_PUBLISHABLE_KEY"] = "pk_test_TESTONLYpublishable",
            ["STRIPE_API_BASE"] = stripeBase.ToString(),
            ["WREN_API_BASE"] = wrenBase.ToString(),
            ["FRONTEND_URL"] = FrontendOrigin,
            ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
            ["ConnectionStrings:messaging"] = brokerUri,
            ["Outbox:DispatcherEnabled"] = "true",
            ["Outbox:PollInterval"] = "00:00:01",
            ["Outbox:MinRetryDelay"] = "00:00:00.100",
            ["Outbox:MaxRetryDelay"] = "00:00:01",
            ["Outbox:PublishTimeout"] = "00:00:03",
        }.With(database);
        configure?.Invoke(settings);
        var host = new ApiHost(settings);
        _ = host.Server; // start it now
        return host;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public async Task<T> WithDbAsync<T>(Func<ApiDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        return await query(db);
    }
}
