using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Http;

public sealed class AdminApiTests : ApiTestBase
{
    private const string AdminKey = "admin-TESTONLY-key";

    protected override void Configure(Dictionary<string, string?> settings) => settings["ADMIN_API_KEY"] = AdminKey;

    private HttpRequestMessage Get(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    [InlineData("")]
    public async Task Without_the_admin_key_the_answer_is_a_401_problem(string? token)
    {
        using var response = await Client.SendAsync(Get("/api/admin/orders", token));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await ProblemAssert.IsSafeProblemAsync(response, 401);
    }

    [Fact]
    public async Task An_operator_lists_the_orders_in_one_status()
    {
        var paid = await CreateOrderAsync(tons: 1m);
        using (var webhook = await PostSignedWebhookAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, paid.SessionId, paid.OrderId)))
        {
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        }

        var pending = await CreateOrderAsync(tons: 2m);

        using var response = await Client.SendAsync(Get("/api/admin/orders?status=paid", AdminKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var orders = await response.Content.ReadFromJsonAsync<JsonElement>();
        var ids = orders.EnumerateArray().Select(o => o.GetProperty("orderId").GetGuid()).ToList();
        Assert.Equal([paid.OrderId], ids);

        using var all = await Client.SendAsync(Get("/api/admin/orders", AdminKey));
        var everything = (await all.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(o => o.GetProperty("orderId").GetGuid()).ToList();
        Assert.Equal([pending.OrderId, paid.OrderId], everything); // newest first
    }

    [Theory]
    [InlineData("/api/admin/orders?status=shipped", "status")]
    [InlineData("/api/admin/orders?limit=0", "limit")]
    [InlineData("/api/admin/orders?limit=501", "limit")]
    public async Task Bad_filters_are_400_problems_naming_the_field(string path, string field)
    {
        using var response = await Client.SendAsync(Get(path, AdminKey));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }
}

public sealed class AdminApiWithoutKeyTests : ApiTestBase
{
    [Fact]
    public async Task Without_ADMIN_API_KEY_the_admin_endpoints_do_not_exist()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/admin/orders");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "anything");
        using var response = await Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
