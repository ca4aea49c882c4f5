using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.Fulfillment.Tests.Wren;

[Trait("Engine", "Neutral")]
public sealed class WrenClientTests
{
    [Theory]
    [InlineData(400, typeof(WrenPlaceResult.Rejected))]
    [InlineData(401, typeof(WrenPlaceResult.Rejected))]
    [InlineData(402, typeof(WrenPlaceResult.Rejected))]
    [InlineData(403, typeof(WrenPlaceResult.Rejected))]
    [InlineData(404, typeof(WrenPlaceResult.Rejected))]
    [InlineData(408, typeof(WrenPlaceResult.Unknown))]
    [InlineData(429, typeof(WrenPlaceResult.NotCreated))]
    [InlineData(500, typeof(WrenPlaceResult.Unknown))]
    [InlineData(502, typeof(WrenPlaceResult.Unknown))]
    [InlineData(503, typeof(WrenPlaceResult.Unknown))]
    [InlineData(504, typeof(WrenPlaceResult.Unknown))]
    public void Statuses_are_classified(int status, Type expected) =>
        Assert.IsType(expected, WrenClient.Classify((HttpStatusCode)status));

    [Fact]
    public void A_refused_connection_proves_nothing_was_created() =>
        Assert.IsType<WrenPlaceResult.NotCreated>(WrenClient.ClassifyException(
            new HttpRequestException(HttpRequestError.ConnectionError, "refused", new SocketException((int)SocketError.ConnectionRefused))));

    [Fact]
    public void A_timeout_or_a_dropped_response_leaves_the_outcome_unknown()
    {
        Assert.IsType<WrenPlaceResult.Unknown>(WrenClient.ClassifyException(new TaskCanceledException("timeout", new TimeoutException())));
        Assert.IsType<WrenPlaceResult.Unknown>(WrenClient.ClassifyException(new HttpRequestException(HttpRequestError.ResponseEnded, "ended")));
        Assert.IsType<WrenPlaceResult.Unknown>(WrenClient.ClassifyException(new IOException("reset")));
    }

    [Fact]
    public async Task A_created_order_is_read_from_Wrens_response_and_found_again_by_note()
    {
        await using var wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add("live-token"));
        var client = Client(wren, "live-token");
        var note = "puffin-offset order 7d1c";

        var created = Assert.IsType<WrenPlaceResult.Created>(await client.PlaceOrderAsync(new WrenOrderRequest(0.45m, 12, note, false), CancellationToken.None));
        var found = Assert.IsType<WrenLookupResult.Found>(await client.FindOrderByNoteAsync(note, CancellationToken.None));

        Assert.Equal(1056, created.AmountCharged); // ceil(0.45 × 23.45 × 100)
        Assert.Equal(created.WrenOrderId, found.WrenOrderId);
        Assert.IsType<WrenLookupResult.NotFound>(await client.FindOrderByNoteAsync("puffin-offset order other", CancellationToken.None));
    }

    [Fact]
    public async Task A_429_carries_Wrens_Retry_After_in_seconds_or_as_a_date()
    {
        await using var wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add("live-token"));
        var client = Client(wren, "live-token");
        var now = new DateTimeOffset(2026, 11, 29, 9, 0, 0, TimeSpan.Zero);
        wren.State.RateLimitNextPosts(1, "7");
        wren.State.RateLimitNextPosts(1, "Sun, 29 Nov 2026 09:01:30 GMT");
        wren.State.RateLimitNextPosts(1, null);

        var seconds = Assert.IsType<WrenPlaceResult.NotCreated>(await client.PlaceOrderAsync(new WrenOrderRequest(1, 21, "n", false), CancellationToken.None));
        var date = Assert.IsType<WrenPlaceResult.NotCreated>(await client.PlaceOrderAsync(new WrenOrderRequest(1, 21, "n", false), CancellationToken.None));
        var unsaid = Assert.IsType<WrenPlaceResult.NotCreated>(await client.PlaceOrderAsync(new WrenOrderRequest(1, 21, "n", false), CancellationToken.None));

        Assert.Equal(now.AddSeconds(7), seconds.RateLimit!.Until(now));
        Assert.Equal(now.AddSeconds(90), date.RateLimit!.Until(now));
        Assert.Equal(now, date.RateLimit.Until(now.AddHours(1)) - TimeSpan.FromHours(1)); // a date in the past: at once
        Assert.NotNull(unsaid.RateLimit);
        Assert.Null(unsaid.RateLimit.Until(now));
        Assert.Empty(wren.State.Orders);
    }

    [Fact]
    public async Task Wrens_error_text_does_not_reach_the_result()
    {
        await using var wren = await WrenSandboxServer.StartAsync();
        var client = Client(wren, "not-a-known-token");

        var rejected = Assert.IsType<WrenPlaceResult.Rejected>(await client.PlaceOrderAsync(new WrenOrderRequest(1, 21, "n", false), CancellationToken.None));

        Assert.Equal(401, rejected.Status);
        Assert.DoesNotContain("not recognised", rejected.Reason);
    }

    [Fact]
    public async Task A_connection_refused_is_not_created()
    {
        var port = PuffinOffset.TestSupport.RabbitMqBroker.FreeTcpPort();
        var client = new WrenClient(new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") }, NullLogger<WrenClient>.Instance);

        Assert.IsType<WrenPlaceResult.NotCreated>(await client.PlaceOrderAsync(new WrenOrderRequest(1, 21, "n", false), CancellationToken.None));
    }

    [Fact]
    public async Task A_history_of_100000_orders_is_read_as_a_stream_and_the_order_found()
    {
        await using var wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add("live-token"));
        var start = DateTimeOffset.UtcNow.AddDays(-400);
        for (var i = 0; i < 100_000; i++)
        {
            wren.State.Seed(1m, $"puffin-offset order {i:D8}", start.AddMinutes(i));
        }

        var client = Client(wren, "live-token");

        var found = Assert.IsType<WrenLookupResult.Found>(await client.FindOrderByNoteAsync("puffin-offset order 00031337", CancellationToken.None));
        Assert.Equal(wren.State.Orders[31_337].Id, found.WrenOrderId);
        Assert.Equal([found.WrenOrderId], found.AllIds);
    }

    [Fact]
    public async Task Several_orders_with_one_note_resolve_to_the_oldest_and_all_are_reported()
    {
        await using var wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add("live-token"));
        var note = "puffin-offset order dup";
        var now = DateTimeOffset.UtcNow;
        var middle = wren.State.Seed(1m, note, now.AddMinutes(-5));
        var oldest = wren.State.Seed(1m, note, now.AddMinutes(-10));
        wren.State.Seed(1m, "another order", now.AddMinutes(-20));
        var newest = wren.State.Seed(1m, note, now);

        var found = Assert.IsType<WrenLookupResult.Found>(await Client(wren, "live-token").FindOrderByNoteAsync(note, CancellationToken.None));

        Assert.Equal(oldest.Id, found.WrenOrderId);
        Assert.Equal([oldest.Id, middle.Id, newest.Id], found.AllIds);
        Assert.Equal([middle.Id, newest.Id], found.Duplicates);
    }

    [Theory]
    [InlineData("""[{"id":"ch_1","note":"other"},{"id":"ch_2","note":"the note","extra":{"nested":[1,2]}}]""", "ch_2")]
    [InlineData(""" {"stats":{"totalTons":3},"offsetOrders":[{"id":42,"note":" The Note "}]}""", "42")]
    public async Task Both_list_shapes_are_read(string body, string expectedId)
    {
        var client = new WrenClient(new HttpClient(new FixedAnswer(HttpStatusCode.OK, body)) { BaseAddress = new Uri("http://wren.invalid/") }, NullLogger<WrenClient>.Instance);

        var found = Assert.IsType<WrenLookupResult.Found>(await client.FindOrderByNoteAsync("the note", CancellationToken.None));

        Assert.Equal(expectedId, found.WrenOrderId);
    }

    [Fact]
    public async Task An_unreadable_list_is_a_failed_lookup_not_a_missing_order()
    {
        var client = new WrenClient(new HttpClient(new FixedAnswer(HttpStatusCode.OK, """{"offsetOrders":[{"id":"ch_1","note":"the""")) { BaseAddress = new Uri("http://wren.invalid/") }, NullLogger<WrenClient>.Instance);

        Assert.IsType<WrenLookupResult.Failed>(await client.FindOrderByNoteAsync("the note", CancellationToken.None));
    }

    [Theory]
    [InlineData(false, typeof(WrenPlaceResult.Unknown))]
    [InlineData(true, typeof(WrenPlaceResult.Created))]
    public async Task A_200_without_an_id_is_an_unknown_outcome_unless_it_was_a_dry_run(bool dryRun, Type expected)
    {
        var client = new WrenClient(new HttpClient(new FixedAnswer(HttpStatusCode.OK, "{}")) { BaseAddress = new Uri("http://wren.invalid/") }, NullLogger<WrenClient>.Instance);

        Assert.IsType(expected, await client.PlaceOrderAsync(new WrenOrderRequest(1, 21, "n", dryRun), CancellationToken.None));
    }

    private sealed class FixedAnswer(HttpStatusCode status, string body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") });
    }

    private static WrenClient Client(WrenSandboxServer wren, string token)
    {
        var http = new HttpClient { BaseAddress = wren.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return new WrenClient(http, NullLogger<WrenClient>.Instance);
    }
}
