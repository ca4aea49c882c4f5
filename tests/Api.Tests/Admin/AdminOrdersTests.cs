using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Admin;

public sealed class AdminOrdersTests : AdminTestBase
{
    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("")]
    public async Task Without_the_admin_key_every_admin_endpoint_answers_a_401_problem(string? token)
    {
        var orderId = await OrderAsync(OrderStatus.FulfillmentFailed, attention: "check me");
        using var client = Api.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        (HttpMethod Method, string Path)[] endpoints =
        [
            (HttpMethod.Get, "/api/admin/orders"), (HttpMethod.Get, $"/api/admin/orders/{orderId}"), (HttpMethod.Get, "/api/admin/overview"),
            (HttpMethod.Post, $"/api/admin/orders/{orderId}/replay"), (HttpMethod.Post, "/api/admin/orders/replay"),
            (HttpMethod.Post, $"/api/admin/orders/{orderId}/resolve"),
        ];
        foreach (var (method, path) in endpoints)
        {
            using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Post ? JsonContent.Create(new { status = "fulfillment_failed", note = "n" }) : null };
            using var response = await client.SendAsync(request);
            await ProblemAssert.IsSafeProblemAsync(response, 401);
        }

        var order = await OrderAsync(orderId);
        Assert.Equal((OrderStatus.FulfillmentFailed, "check me"), (order.Status, order.OpenAttention()));
        Assert.Equal(0, await OutboxCountAsync("FulfillmentReplayRequested"));
    }

    [Fact]
    public async Task An_operator_filters_by_status_by_attention_and_by_both_newest_first()
    {
        var paid = await OrderAsync(OrderStatus.Paid);
        var failed = await OrderAsync(OrderStatus.FulfillmentFailed);
        var expiredFlagged = await OrderAsync(OrderStatus.Expired, attention: "payment taken for an order that will not be fulfilled");
        var failedFlagged = await OrderAsync(OrderStatus.FulfillmentFailed, attention: "two Wren orders found");

        Assert.Equal([failedFlagged, failed], await IdsAsync("status=fulfillment_failed"));
        Assert.Equal([failedFlagged, expiredFlagged], await IdsAsync("attention=true"));
        Assert.Equal([failedFlagged], await IdsAsync("status=fulfillment_failed&attention=true"));
        Assert.Equal([failed, paid], await IdsAsync("attention=false"));
        Assert.Equal([failedFlagged, expiredFlagged, failed, paid], await IdsAsync(""));
    }

    [Fact]
    public async Task Pages_follow_each_other_newest_first_and_carry_the_total()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await OrderAsync(OrderStatus.Paid));
        }

        ids.Reverse();
        var first = await PageAsync("status=paid&pageSize=2");
        var second = await PageAsync("status=paid&pageSize=2&page=2");
        var last = await PageAsync("status=paid&pageSize=2&page=3");
        var beyond = await PageAsync("status=paid&pageSize=2&page=4");

        Assert.Equal((5, 2, 1), (first.GetProperty("total").GetInt32(), first.GetProperty("pageSize").GetInt32(), first.GetProperty("page").GetInt32()));
        Assert.Equal(ids, new[] { first, second, last }.SelectMany(Ids));
        Assert.Empty(Ids(beyond));
        Assert.Equal(5, beyond.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("status=shipped", "status")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("page=0", "page")]
    public async Task Bad_filters_are_400_problems_naming_the_field(string query, string field)
    {
        using var response = await Admin.GetAsync($"/api/admin/orders?{query}");

        var problem = JsonDocument.Parse(await ProblemAssert.IsSafeProblemAsync(response, 400)).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task The_order_detail_shows_the_order_view_and_an_unknown_id_is_a_404_problem()
    {
        var orderId = await OrderAsync(OrderStatus.FulfillmentFailed);

        var detail = await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{orderId}");
        using var unknown = await Admin.GetAsync($"/api/admin/orders/{Guid.NewGuid()}");

        Assert.Equal("fulfillment_failed", detail.GetProperty("order").GetProperty("status").GetString());
        Assert.Equal(0, detail.GetProperty("history").GetArrayLength());
        await ProblemAssert.IsSafeProblemAsync(unknown, 404);
    }

    [Fact]
    public async Task The_overview_counts_orders_by_status_attention_and_the_outbox_backlog()
    {
        await OrderAsync(OrderStatus.Pending);
        var olderPaid = await OrderAsync(OrderStatus.Paid);
        var newerPaid = await OrderAsync(OrderStatus.Paid);
        await OrderAsync(OrderStatus.FulfillmentFailed, attention: "look");

        var overview = await Admin.GetFromJsonAsync<JsonElement>("/api/admin/overview");

        var counts = overview.GetProperty("ordersByStatus");
        Assert.Equal((1, 2, 1, 0), (counts.GetProperty("pending").GetInt32(), counts.GetProperty("paid").GetInt32(),
            counts.GetProperty("fulfillment_failed").GetInt32(), counts.GetProperty("refunded").GetInt32()));
        Assert.Equal(1, overview.GetProperty("needingAttention").GetInt32());
        Assert.Equal([olderPaid, newerPaid], overview.GetProperty("paidWaitingLongest").EnumerateArray().Select(o => o.GetProperty("orderId").GetGuid()));
        Assert.True(overview.GetProperty("outbox").GetProperty("pending").GetInt32() >= 0);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_admin_endpoints_and_their_shapes()
    {
        var document = await Admin.GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths");
        string[] expected = ["/api/admin/orders", "/api/admin/orders/{orderId}", "/api/admin/orders/{orderId}/replay", "/api/admin/orders/replay", "/api/admin/orders/{orderId}/resolve", "/api/admin/overview"];
        Assert.All(expected, path => Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing"));
        var replay = paths.GetProperty("/api/admin/orders/{orderId}/replay").GetProperty("post").GetProperty("responses");
        Assert.All(new[] { "202", "401", "404", "409" }, status => Assert.True(replay.TryGetProperty(status, out _), $"replay lacks {status}"));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        Assert.All(new[] { "AdminOrderPage", "AdminOrderDetail", "AdminOrderView", "AttentionItemView", "ReplayAllResult", "ResolveRequest", "AdminOverview" },
            schema => Assert.True(schemas.TryGetProperty(schema, out _), $"schema {schema} is missing"));
        Assert.True(schemas.GetProperty("AdminOrderView").GetProperty("properties").TryGetProperty("attention", out _));
        Assert.True(schemas.GetProperty("ResolveRequest").GetProperty("properties").TryGetProperty("attentionIds", out _));
        Assert.False(paths.TryGetProperty("/admin", out _)); // the console page is not part of the API
    }

    private async Task<JsonElement> PageAsync(string query) => await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders?{query}");

    private async Task<List<Guid>> IdsAsync(string query) => Ids(await PageAsync(query)).ToList();

    private static IEnumerable<Guid> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("orderId").GetGuid()).ToList();
}

public sealed class AdminWithoutKeyTests : ApiTestBase
{
    [Theory]
    [InlineData("GET", "/api/admin/orders")]
    [InlineData("GET", "/api/admin/overview")]
    [InlineData("POST", "/api/admin/orders/replay")]
    [InlineData("POST", "/api/admin/orders/00000000-0000-0000-0000-000000000001/resolve")]
    [InlineData("GET", "/admin")]
    public async Task Without_ADMIN_API_KEY_the_admin_endpoints_and_the_console_do_not_exist(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "anything");
        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
