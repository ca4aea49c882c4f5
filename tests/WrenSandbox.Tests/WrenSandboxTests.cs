using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using PuffinOffset.TestSupport;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.WrenSandbox.Tests;

/// <summary>The fake speaks Wren's documented wire format, so the client is tested against the real shapes.</summary>
public sealed class WrenSandboxTests : IAsyncLifetime
{
    private WrenSandboxServer _wren = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add("live-token"));
        _http = new HttpClient { BaseAddress = _wren.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _wren.DisposeAsync();
    }

    [Fact]
    public async Task Portfolios_are_listed_in_snake_case_without_a_token()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync("/api/portfolios"));
        var trailblazer = document.RootElement.GetProperty("portfolios").EnumerateArray().Single(p => p.GetProperty("id").GetInt32() == 21);
        Assert.Equal("Trailblazer", trailblazer.GetProperty("name").GetString());
        Assert.Equal(401.71m, trailblazer.GetProperty("cost_per_ton").GetDecimal());
        Assert.True(trailblazer.GetProperty("projects")[0].TryGetProperty("certification_status", out _));
    }

    [Fact]
    public async Task A_form_encoded_order_with_Basic_auth_is_stored_and_listed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/offset-orders")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["tons"] = "0.5", ["portfolioId"] = "12", ["note"] = "Monthly offset" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("live-token:")));

        using var response = await _http.SendAsync(request);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1173, body.RootElement.GetProperty("amountCharged").GetInt64()); // ceil(0.5 × 23.45 × 100)
        Assert.Equal("USD", body.RootElement.GetProperty("currency").GetString());
        Assert.False(body.RootElement.TryGetProperty("test", out _));
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "live-token");
        using var list = JsonDocument.Parse(await _http.GetStringAsync("/api/offset-orders"));
        var order = Assert.Single(list.RootElement.GetProperty("offsetOrders").EnumerateArray());
        Assert.Equal("Monthly offset", order.GetProperty("note").GetString());
        Assert.Equal(body.RootElement.GetProperty("id").GetString(), order.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_test_token_gets_a_canned_test_order_that_is_not_stored()
    {
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wren_test_00000000-0000-4000-8000-000000000000");

        using var response = await _http.PostAsJsonAsync("/api/offset-orders", new { tons = 1, portfolioId = 21 });
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.StartsWith("test_oo_", body.RootElement.GetProperty("id").GetString());
        Assert.True(body.RootElement.GetProperty("test").GetBoolean());
        Assert.Empty(_wren.State.Orders);
    }

    [Theory]
    [InlineData(null, """{"tons": 1}""", 401)]
    [InlineData("unknown-token", """{"tons": 1}""", 401)]
    [InlineData("live-token", """{"tons": 0}""", 400)]
    [InlineData("live-token", """{"tons": -2}""", 400)]
    [InlineData("live-token", """{"portfolioId": 21}""", 400)]
    [InlineData("live-token", """{"tons": 0.05, "portfolioId": 7}""", 400)]
    [InlineData("live-token", "not json", 400)]
    public async Task Invalid_requests_get_Wrens_message_envelope(string? token, string json, int status)
    {
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await _http.PostAsync("/api/offset-orders", new StringContent(json, Encoding.UTF8, "application/json"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(status, (int)response.StatusCode);
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("message").GetString()));
        Assert.Empty(_wren.State.Orders);
    }

    [Fact]
    public async Task A_dry_run_answers_the_price_with_a_null_id()
    {
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "live-token");

        using var response = await _http.PostAsJsonAsync("/api/offset-orders", new { tons = 2.5, portfolioId = 21, dryRun = true });
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("id").ValueKind);
        Assert.Equal(100_428, body.RootElement.GetProperty("amountCharged").GetInt64());
        Assert.Empty(_wren.State.Orders);
    }

    [Fact]
    public async Task Faults_can_be_injected_over_http()
    {
        using var fault = await _http.PostAsJsonAsync("/sandbox/faults", new { kind = "status", status = 503, count = 1 });
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "live-token");

        using var first = await _http.PostAsJsonAsync("/api/offset-orders", new { tons = 1, portfolioId = 21 });
        using var second = await _http.PostAsJsonAsync("/api/offset-orders", new { tons = 1, portfolioId = 21 });

        Assert.Equal(HttpStatusCode.NoContent, fault.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal([503, 200], _wren.State.ReceivedPosts.Select(p => p.Answer));
    }

    [Fact]
    public async Task A_failing_rate_answers_that_share_of_the_POSTs_evenly_and_creates_nothing_for_them()
    {
        using var fault = await _http.PostAsJsonAsync("/sandbox/faults", new { kind = "status-rate", status = 503, percent = 25 });
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "live-token");

        for (var i = 0; i < 8; i++)
        {
            using var post = await _http.PostAsJsonAsync("/api/offset-orders", new { tons = 1, portfolioId = 21, note = $"order {i}" });
        }

        Assert.Equal(HttpStatusCode.NoContent, fault.StatusCode);
        Assert.Equal([200, 200, 200, 503, 200, 200, 200, 503], _wren.State.ReceivedPosts.Select(p => p.Answer));
        Assert.Equal(6, _wren.State.Orders.Count);
        using var off = await _http.PostAsJsonAsync("/sandbox/faults", new { kind = "status-rate", status = 503, percent = 0 });
        using var after = await _http.PostAsJsonAsync("/api/offset-orders", new { tons = 1, portfolioId = 21 });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_slow_POST_shows_in_flight_and_stores_its_order_even_when_the_client_gave_up()
    {
        using var fault = await _http.PostAsJsonAsync("/sandbox/faults", new { kind = "slow-rate", percent = 100, delayMilliseconds = 1500 });
        using var impatient = new HttpClient { BaseAddress = _wren.BaseAddress, Timeout = TimeSpan.FromMilliseconds(300) };
        impatient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "live-token");

        var post = impatient.PostAsJsonAsync("/api/offset-orders", new { tons = 1, portfolioId = 21, note = "slow" });
        using (var inFlight = JsonDocument.Parse(await Eventually.ValueAsync(() => _http.GetStringAsync("/sandbox/in-flight"),
            // The count goes up as the request arrives; the request is listed once its body is read, a moment later.
            json => json.Contains("\"posts\":1", StringComparison.Ordinal) && json.Contains("\"note\":\"slow\"", StringComparison.Ordinal))))
        {
            Assert.Equal(1, inFlight.RootElement.GetProperty("posts").GetInt32());
            Assert.Equal("slow", inFlight.RootElement.GetProperty("requests")[0].GetProperty("note").GetString());
        }

        await Assert.ThrowsAnyAsync<TaskCanceledException>(() => post);
        await Eventually.TrueAsync(() => _wren.State.PostsInFlight == 0, TimeSpan.FromSeconds(10), "the slow POST ends");
        Assert.Equal("slow", Assert.Single(_wren.State.Orders).Note);
        Assert.Empty(_wren.State.InFlightPosts);
    }

    [Fact]
    public async Task The_order_list_holds_every_stored_order_newest_first_with_its_total_and_is_empty_after_a_reset()
    {
        var now = DateTimeOffset.UtcNow;
        var first = _wren.State.Seed(1.25m, "first", now.AddMinutes(-2));
        var second = _wren.State.Seed(2.50m, null, now.AddMinutes(-1));
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "live-token");
        using var created = await _http.PostAsJsonAsync("/api/offset-orders", new { tons = 0.5m, portfolioId = 21, note = "third" });
        var third = Assert.Single(_wren.State.Orders, o => o.Note == "third");

        using var response = await _http.GetAsync("/api/offset-orders");
        using var list = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var orders = list.RootElement.GetProperty("offsetOrders").EnumerateArray().ToList();
        Assert.Equal([third.Id, second.Id, first.Id], orders.Select(o => o.GetProperty("id").GetString()));
        Assert.Equal((1.25m, "first", first.CreatedAt), (orders[2].GetProperty("tons").GetDecimal(), orders[2].GetProperty("note").GetString(), orders[2].GetProperty("createdAt").GetDateTimeOffset()));
        Assert.Equal(JsonValueKind.Null, orders[1].GetProperty("note").ValueKind);
        Assert.Equal(4.25m, list.RootElement.GetProperty("stats").GetProperty("totalTons").GetDecimal());

        _wren.State.Reset();
        using var empty = JsonDocument.Parse(await _http.GetStringAsync("/api/offset-orders"));
        Assert.Empty(empty.RootElement.GetProperty("offsetOrders").EnumerateArray());
        Assert.Equal(0m, empty.RootElement.GetProperty("stats").GetProperty("totalTons").GetDecimal());
    }
}
