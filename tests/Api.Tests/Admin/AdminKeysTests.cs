using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Security;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>
/// Named admin keys (<c>ADMIN_API_KEYS_FILE</c> beside <c>ADMIN_API_KEY</c>): who acted is the operator whose key
/// was used; failed authentications are logged without the key and limited per client address; 401 comes before
/// the body is read.
/// </summary>
public sealed class AdminKeysTests : AdminTestBase
{
    public const string AliceKey = "alice-TESTONLY-0123456789abcdef0123456789";
    public const string BobKey = "bob-TESTONLY-0123456789abcdef0123456789";
    public const string CarolShortKey = "carol-TESTONLY-short";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        var file = Folder.File("admin-keys");
        File.WriteAllText(file, $"""
            # name, then sha256 of the key in hex
            alice {Sha256Hex(AliceKey)}

            bob   {Sha256Hex(BobKey).ToUpperInvariant()}
            carol {Sha256Hex(CarolShortKey)}
            """);
        settings["ADMIN_API_KEYS_FILE"] = file;
        // Requests arrive from 127.0.0.1, which then passes on each test client's own address.
        settings["TRUSTED_PROXIES"] = "127.0.0.1";
    }

    [Fact]
    public async Task The_history_names_the_operator_whose_key_was_used_whatever_the_body_says()
    {
        var first = await OrderAsync(OrderStatus.FulfillmentFailed);
        var second = await OrderAsync(OrderStatus.FulfillmentFailed);
        var flagged = await OrderAsync(OrderStatus.Fulfilled, attention: "check me");
        using var alice = Operator(AliceKey);
        using var bob = Operator(BobKey);

        using var replayed = await alice.PostAsJsonAsync($"/api/admin/orders/{first}/replay", new { note = "topped up", requestedBy = "bob" });
        using var replayedAgain = await Admin.PostAsJsonAsync($"/api/admin/orders/{second}/replay", new { requestedBy = "alice" });
        var detail = await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{flagged}");
        var seen = detail.GetProperty("order").GetProperty("attention").EnumerateArray().Select(i => i.GetProperty("id").GetInt64()).ToArray();
        using var resolved = await bob.PostAsJsonAsync($"/api/admin/orders/{flagged}/resolve", new { note = "checked", requestedBy = "alice", attentionIds = seen });

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted, HttpStatusCode.OK), (replayed.StatusCode, replayedAgain.StatusCode, resolved.StatusCode));
        var history = await Api.WithDbAsync(db => db.OrderHistory.AsNoTracking().ToListAsync());
        Assert.Equal("alice", Assert.Single(history, e => e.OrderId == first).RequestedBy);
        Assert.Equal("admin", Assert.Single(history, e => e.OrderId == second).RequestedBy);
        Assert.Equal("bob", Assert.Single(history, e => e.OrderId == flagged).RequestedBy);
        var replayRequests = await Api.WithDbAsync(db => db.OutboxMessages.AsNoTracking()
            .Where(m => m.MessageType == "FulfillmentReplayRequested").Select(m => m.Payload).ToListAsync());
        Assert.Contains(replayRequests, body => body.Contains(first.ToString(), StringComparison.Ordinal) && body.Contains("\"requestedBy\":\"alice\"", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key-of-anyone-0123456789abcdef")]
    public async Task An_unauthenticated_post_with_malformed_json_gets_401_before_the_body_is_read(string? key)
    {
        var orderId = await OrderAsync(OrderStatus.FulfillmentFailed);
        using var client = key is null ? Api.CreateClient() : Operator(key);

        foreach (var path in new[] { $"/api/admin/orders/{orderId}/replay", "/api/admin/orders/replay", $"/api/admin/orders/{orderId}/resolve" })
        {
            using var response = await client.PostAsync(path, new StringContent("{not json", Encoding.UTF8, "application/json"));
            await ProblemAssert.IsSafeProblemAsync(response, 401);
        }
    }

    [Fact]
    public async Task A_listed_key_shorter_than_32_characters_never_authenticates()
    {
        using var carol = Operator(CarolShortKey);

        using var response = await carol.GetAsync("/api/admin/orders");

        await ProblemAssert.IsSafeProblemAsync(response, 401);
    }

    [Fact]
    public async Task Failed_authentications_are_logged_without_the_key_and_an_address_past_its_allowance_gets_429_with_Retry_After()
    {
        var logs = new LogRecorder(LogLevel.Warning);
        var api = await RestartWithLogsAsync(logs);
        const string guess = "guess-TESTONLY-0123456789abcdef0123456789";

        for (var attempt = 1; attempt <= AdminEndpoints.FailuresPerWindow; attempt++)
        {
            using var refused = await SendAsync(api, "198.51.100.7", guess);
            await ProblemAssert.IsSafeProblemAsync(refused, 401);
        }

        using var limited = await SendAsync(api, "198.51.100.7", guess);
        await ProblemAssert.IsSafeProblemAsync(limited, 429);
        Assert.InRange(int.Parse(Assert.Single(limited.Headers.GetValues("Retry-After"))), 1, 60);
        // Locked out, the right key does not help that address either; another address is not affected.
        using var rightKeyLocked = await SendAsync(api, "198.51.100.7", AliceKey);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightKeyLocked.StatusCode);
        using var elsewhere = await SendAsync(api, "198.51.100.8", AliceKey);
        Assert.Equal(HttpStatusCode.OK, elsewhere.StatusCode);

        var failures = logs.Entries.Where(e => e.Message.StartsWith("Admin authentication failed", StringComparison.Ordinal)).ToList();
        // Each counted failure is logged once; refusals of a locked-out address are not (a brute force would flood the log).
        Assert.Equal(AdminEndpoints.FailuresPerWindow, failures.Count);
        Assert.All(failures, e => Assert.Contains("198.51.100.7", e.Message, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(guess, StringComparison.Ordinal) || e.Message.Contains(AliceKey, StringComparison.Ordinal));
    }

    /// <summary>The Api again on its database (one process per SQLite file), its warnings also going to <paramref name="logs"/>.</summary>
    private async Task<ApiHost> RestartWithLogsAsync(LogRecorder logs)
    {
        await Api.DisposeAsync();
        var settings = await ApiHost.SettingsAsync(DatabasePath, BrokerUri, Stripe.BaseAddress, Wren.BaseAddress);
        Configure(settings);
        Api = new ApiHost(await ServiceHost.StartApiAsync(settings, logs: logs), settings);
        return Api;
    }

    private static async Task<HttpResponseMessage> SendAsync(ApiHost api, string clientAddress, string key)
    {
        using var client = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/orders");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.Add("X-Forwarded-For", clientAddress);
        return await client.SendAsync(request);
    }

    private HttpClient Operator(string key)
    {
        var client = Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public static string Sha256Hex(string key) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
