using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>
/// The real Api (a real SQLite file or PostgreSQL database, real broker vhost, Stripe sandbox and Wren stub over HTTP):
/// the Api tests' settings and helpers over the one <see cref="ServiceHost"/>.
/// </summary>
public sealed class ApiHost(ServiceHost host, IReadOnlyDictionary<string, string?> settings) : IAsyncDisposable
{
    public const string WebhookSecret = "whsec_TESTONLY0123456789abcdefghijABCDEFGHIJ";
    public const string FrontendOrigin = "https://shop.example.test";

    public IServiceProvider Services => host.Services;

    public HttpClient CreateClient() => host.CreateClient();

    /// <inheritdoc cref="ServiceHost.CreateClient(HttpMessageHandler)"/>
    public HttpClient CreateClient(HttpMessageHandler handler) => host.CreateClient(handler);

    public static async Task<ApiHost> StartAsync(string databasePath, string brokerUri, Uri stripeBase, Uri wrenBase,
        Action<Dictionary<string, string?>>? configure = null)
    {
        var settings = await SettingsAsync(databasePath, brokerUri, stripeBase, wrenBase);
        configure?.Invoke(settings);
        return new ApiHost(await ServiceHost.StartApiAsync(settings), settings);
    }

    /// <summary>
    /// The Api tests' settings (configuration keys) on the engine under test: the SQLite file <paramref name="databasePath"/>
    /// or the PostgreSQL database standing in for it. The Api's migration step (a hosted service) brings its schema up to date.
    /// </summary>
    public static async Task<Dictionary<string, string?>> SettingsAsync(string databasePath, string brokerUri, Uri stripeBase, Uri wrenBase) =>
        new Dictionary<string, string?>
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
        }.With(await TestDatabase.SettingsAsync("DATABASE_PATH", databasePath, "orders"));

    /// <summary>A second Api with this one's settings (so on its database) and extra registrations, e.g. fault injectors.</summary>
    public async Task<ApiHost> StartAnotherAsync(Action<IServiceCollection> services) =>
        new(await ServiceHost.StartApiAsync(settings, services), settings);

    public async Task<T> WithDbAsync<T>(Func<ApiDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        return await query(db);
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}
