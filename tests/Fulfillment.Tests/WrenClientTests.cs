using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.Fulfillment.Tests;

public sealed class WrenClientTests
{
    [Theory]
    [InlineData(400, typeof(WrenPlaceResult.Rejected))]
    [InlineData(401, typeof(WrenPlaceResult.Rejected))]
    [InlineData(402, typeof(WrenPlaceResult.Rejected))]
    [InlineData(403, typeof(WrenPlaceResult.Rejected))]
    [InlineData(404, typeof(WrenPlaceResult.Rejected))]
    [InlineData(408, typeof(WrenPlaceResult.NotCreated))]
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

    private static WrenClient Client(WrenSandboxServer wren, string token)
    {
        var http = new HttpClient { BaseAddress = wren.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return new WrenClient(http, NullLogger<WrenClient>.Instance);
    }
}
