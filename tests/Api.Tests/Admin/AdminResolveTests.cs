using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Admin;

public sealed class AdminResolveTests : AdminTestBase
{
    private const string Attention = "payment taken for an order that will not be fulfilled: refund or replay";

    [Fact]
    public async Task Resolving_clears_the_attention_and_keeps_the_note_and_what_it_said_in_the_history()
    {
        var orderId = await OrderAsync(OrderStatus.Expired, attention: Attention);

        using var response = await Admin.PostAsJsonAsync($"/api/admin/orders/{orderId}/resolve", new { note = "Refunded in Stripe's dashboard (re_123)." });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null((await OrderAsync(orderId)).Attention);
        var detail = await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{orderId}");
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("order").GetProperty("attention").ValueKind);
        var entry = Assert.Single(detail.GetProperty("history").EnumerateArray());
        Assert.Equal(("attention_resolved", "Refunded in Stripe's dashboard (re_123).", Attention),
            (entry.GetProperty("kind").GetString(), entry.GetProperty("note").GetString(), entry.GetProperty("clearedAttention").GetString()));
        Assert.Empty((await Admin.GetFromJsonAsync<JsonElement>("/api/admin/orders?attention=true")).GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"note\":\"   \"}")]
    [InlineData("")]
    public async Task A_resolve_without_a_note_is_a_400_problem_and_clears_nothing(string body)
    {
        var orderId = await OrderAsync(OrderStatus.Expired, attention: Attention);

        using var response = await Admin.PostAsync($"/api/admin/orders/{orderId}/resolve", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsSafeProblemAsync(response, 400);
        Assert.Equal(Attention, (await OrderAsync(orderId)).Attention);
    }

    [Fact]
    public async Task Resolving_an_order_that_needs_no_attention_is_a_409_problem()
    {
        var orderId = await OrderAsync(OrderStatus.Fulfilled);

        using var response = await Admin.PostAsJsonAsync($"/api/admin/orders/{orderId}/resolve", new { note = "nothing" });

        await ProblemAssert.IsSafeProblemAsync(response, 409);
    }
}
