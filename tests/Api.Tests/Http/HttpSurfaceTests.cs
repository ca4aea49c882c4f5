using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Tests.Http;

public sealed class HttpSurfaceTests : ApiTestBase
{
    [Fact]
    public async Task Orders_are_readable_by_id_and_by_session_with_the_contract_fields()
    {
        var created = await CreateOrderAsync(tons: 1.234m, portfolioId: 21, email: "buyer@example.com");

        foreach (var path in new[] { $"/api/orders/{created.OrderId}", $"/api/checkout/session/{created.SessionId}" })
        {
            using var response = await Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var view = json.RootElement;
            string[] fields = ["orderId", "sessionId", "status", "tons", "portfolioId", "amountTotal", "currency", "customerEmail", "wrenOrderId", "dryRun", "createdAt", "updatedAt", "amountRefunded", "disputed"];
            Assert.Equal(fields.Order(), view.EnumerateObject().Select(p => p.Name).Order());
            Assert.Equal(created.OrderId, view.GetProperty("orderId").GetGuid());
            Assert.Equal("pending", view.GetProperty("status").GetString());
            Assert.Equal(1.234m, view.GetProperty("tons").GetDecimal());
            Assert.Equal(49572, view.GetProperty("amountTotal").GetInt64()); // ceil(1.234 × 401.71 × 100) = ceil(49571.014)
            Assert.Equal(0, view.GetProperty("amountRefunded").GetInt64());
            Assert.False(view.GetProperty("disputed").GetBoolean());
        }
    }

    [Theory]
    [InlineData("/api/orders/5b0e3a4c-0000-4000-8000-000000000000")]
    [InlineData("/api/checkout/session/cs_test_nosuchsession")]
    [InlineData("/api/no-such-route")]
    public async Task Unknown_things_are_404_problems(string path)
    {
        using var response = await Client.GetAsync(path);
        await ProblemAssert.IsSafeProblemAsync(response, 404);
    }

    [Fact]
    public async Task A_wrong_method_is_a_405_problem()
    {
        using var response = await Client.DeleteAsync("/api/portfolios");
        await ProblemAssert.IsSafeProblemAsync(response, 405);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_a_415_problem()
    {
        using var response = await Client.PostAsync("/api/checkout/create-session", new StringContent("tons=1&portfolioId=21"));
        await ProblemAssert.IsSafeProblemAsync(response, 415);
    }

    [Fact]
    public async Task Portfolios_config_and_health_answer_as_the_contract_says()
    {
        var portfolios = await Client.GetFromJsonAsync<JsonElement>("/api/portfolios");
        var trailblazer = portfolios.EnumerateArray().Single(p => p.GetProperty("id").GetInt32() == 21);
        Assert.Equal(401.71m, trailblazer.GetProperty("pricePerTon").GetDecimal());
        Assert.Equal(("Trailblazer", "usd"), (trailblazer.GetProperty("name").GetString(), trailblazer.GetProperty("currency").GetString()));
        Assert.True(trailblazer.TryGetProperty("description", out _));

        var config = await Client.GetFromJsonAsync<JsonElement>("/api/config");
        Assert.Equal("pk_test_TESTONLYpublishable", config.GetProperty("stripePublishableKey").GetString());

        var health = await Client.GetFromJsonAsync<JsonElement>("/api/health");
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Api_health_answers_503_while_the_Api_is_not_ready_and_200_again_after()
    {
        var outage = new ReadinessSwitch();
        // One process per SQLite file: this test's Api replaces the class's (DisposeAsync stops it).
        await Api.DisposeAsync();
        Api = await Api.StartAnotherAsync(services => services.AddHealthChecks().AddCheck("test-outage", outage.Check));
        using var client = Api.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);

        outage.Ready = false;
        using var down = await client.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal("unavailable", (await down.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health")).StatusCode);

        outage.Ready = true;
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/health")).StatusCode);
    }

    private sealed class ReadinessSwitch
    {
        public volatile bool Ready = true;

        public Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult Check() =>
            Ready ? Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy() : Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Unhealthy("test outage");
    }

    [Fact]
    public async Task The_openapi_document_describes_every_endpoint_and_its_errors()
    {
        var document = await Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        string[] expected =
        [
            "/api/checkout/create-session", "/api/checkout/session/{sessionId}", "/api/orders/{orderId}", "/api/portfolios",
            "/api/config", "/api/webhooks/stripe", "/api/health",
        ];
        Assert.All(expected, path => Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing"));
        var create = paths.GetProperty("/api/checkout/create-session").GetProperty("post").GetProperty("responses");
        Assert.All(new[] { "200", "400", "429" }, status => Assert.True(create.TryGetProperty(status, out _), $"create-session lacks {status}"));
        Assert.True(paths.GetProperty("/api/orders/{orderId}").GetProperty("get").GetProperty("responses").TryGetProperty("200", out _));
        // The customer's order view: what operators need (attention, the payment's mode) is not part of it.
        var orderView = document.GetProperty("components").GetProperty("schemas").GetProperty("OrderView").GetProperty("properties");
        Assert.True(orderView.TryGetProperty("disputed", out _));
        Assert.False(orderView.TryGetProperty("attention", out _));
        Assert.False(orderView.TryGetProperty("paidInLiveMode", out _));
    }

    /// <summary>
    /// A second Api on the test's database whose matching SQL commands fail. It shares the file on purpose,
    /// next to the running Api, so it takes a lock of its own instead of the one-process-per-file lock.
    /// </summary>
    private Task<ApiHost> WithFailingCommandsAsync(Func<string, bool> failing) =>
        Api.StartAnotherAsync(services =>
        {
            services.AddSingleton<IInterceptor>(new FailingCommandInterceptor(failing));
            services.AddSingleton(_ => new SqliteFileLock(Folder.File("fault-injecting-api.db")));
        });

    [Fact]
    public async Task An_unexpected_failure_is_a_500_problem_without_internals()
    {
        // Quotes stripped: SQLite and PostgreSQL quote identifiers differently.
        await using var failing = await WithFailingCommandsAsync(sql => sql.Replace("\"", "").Contains("FROM orders"));
        using var client = failing.CreateClient();

        using var response = await client.GetAsync($"/api/orders/{Guid.NewGuid()}");

        await ProblemAssert.IsSafeProblemAsync(response, 500);
    }

    [Fact]
    public async Task A_webhook_that_cannot_be_recorded_is_a_5xx_so_stripe_retries_and_nothing_changes()
    {
        var created = await CreateOrderAsync();
        var before = await DatabaseSnapshotAsync();
        await using var failing = await WithFailingCommandsAsync(sql => sql.Replace("\"", "").Contains("INSERT INTO stripe_events"));
        using var client = failing.CreateClient();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Stripe-Signature", StripeSandbox.WebhookSigner.Header(body, DateTimeOffset.UtcNow, ApiHost.WebhookSecret));

        using var response = await client.SendAsync(request);

        await ProblemAssert.IsSafeProblemAsync(response, 500);
        Assert.Equal(before, await DatabaseSnapshotAsync());
        Assert.Equal(OrderStatus.Pending, (await OrderAsync(created.OrderId)).Status);
    }

    [Fact]
    public async Task Cors_allows_exactly_the_frontend_origin()
    {
        using var allowed = await PreflightAsync(ApiHost.FrontendOrigin);
        Assert.Equal(ApiHost.FrontendOrigin, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));

        foreach (var origin in new[] { "https://evil.example", "https://shop.example.test.evil.example", "http://shop.example.test" })
        {
            using var refused = await PreflightAsync(origin);
            Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"), origin);
        }
    }

    private Task<HttpResponseMessage> PreflightAsync(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/checkout/create-session");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return Client.SendAsync(request);
    }
}

public sealed class RateLimitTests : ApiTestBase
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "3";

    [Fact]
    public async Task Creating_sessions_beyond_the_limit_is_a_429_problem()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateOrderAsync();
        }

        using var response = await Client.PostAsJsonAsync("/api/checkout/create-session", new { tons = 1, portfolioId = 21 });

        await ProblemAssert.IsSafeProblemAsync(response, 429);
        Assert.Equal(3, Stripe.Sessions.All.Count);
        // Reading is not limited.
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/api/portfolios")).StatusCode);
    }
}
