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
    public async Task Resolving_the_items_seen_closes_them_and_keeps_the_note_and_what_they_said_in_the_history()
    {
        var orderId = await OrderAsync(OrderStatus.Expired, attention: Attention);
        var seen = await OpenItemIdsAsync(orderId);

        using var response = await Admin.PostAsJsonAsync($"/api/admin/orders/{orderId}/resolve",
            new { note = "Refunded in Stripe's dashboard (re_123).", attentionIds = seen });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null((await OrderAsync(orderId)).OpenAttention());
        var detail = await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{orderId}");
        Assert.Equal(0, detail.GetProperty("order").GetProperty("attention").GetArrayLength());
        var resolved = Assert.Single(detail.GetProperty("resolvedAttention").EnumerateArray());
        Assert.Equal((seen[0], Attention, "admin", "Refunded in Stripe's dashboard (re_123)."),
            (resolved.GetProperty("id").GetInt64(), resolved.GetProperty("text").GetString(), resolved.GetProperty("resolvedBy").GetString(), resolved.GetProperty("note").GetString()));
        var entry = Assert.Single(detail.GetProperty("history").EnumerateArray());
        Assert.Equal(("attention_resolved", "Refunded in Stripe's dashboard (re_123).", Attention, "admin"),
            (entry.GetProperty("kind").GetString(), entry.GetProperty("note").GetString(), entry.GetProperty("clearedAttention").GetString(), entry.GetProperty("requestedBy").GetString()));
        Assert.Empty((await Admin.GetFromJsonAsync<JsonElement>("/api/admin/orders?attention=true")).GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("{\"attentionIds\":[ID]}", "note")]
    [InlineData("{\"note\":\"   \",\"attentionIds\":[ID]}", "note")]
    [InlineData("{\"note\":\"done\"}", "attentionIds")]
    [InlineData("{\"note\":\"done\",\"attentionIds\":[]}", "attentionIds")]
    [InlineData("{\"note\":\"done\",\"attentionIds\":[ID, 999999]}", "attentionIds")]
    public async Task A_resolve_without_a_note_or_the_items_it_resolves_is_a_400_problem_and_resolves_nothing(string body, string field)
    {
        var orderId = await OrderAsync(OrderStatus.Expired, attention: Attention);
        var seen = await OpenItemIdsAsync(orderId);

        using var response = await Admin.PostAsync($"/api/admin/orders/{orderId}/resolve",
            new StringContent(body.Replace("ID", seen[0].ToString()), System.Text.Encoding.UTF8, "application/json"));

        var problem = JsonDocument.Parse(await ProblemAssert.IsSafeProblemAsync(response, 400)).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(Attention, (await OrderAsync(orderId)).OpenAttention());
    }

    [Fact]
    public async Task An_empty_resolve_body_is_a_400_problem()
    {
        var orderId = await OrderAsync(OrderStatus.Expired, attention: Attention);

        using var response = await Admin.PostAsync($"/api/admin/orders/{orderId}/resolve", new StringContent("", System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsSafeProblemAsync(response, 400);
        Assert.Equal(Attention, (await OrderAsync(orderId)).OpenAttention());
    }

    [Fact]
    public async Task Resolving_items_already_resolved_is_a_409_problem_and_keeps_the_first_note()
    {
        var orderId = await OrderAsync(OrderStatus.Expired, attention: Attention);
        var seen = await OpenItemIdsAsync(orderId);
        using var first = await Admin.PostAsJsonAsync($"/api/admin/orders/{orderId}/resolve", new { note = "first", attentionIds = seen });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await Admin.PostAsJsonAsync($"/api/admin/orders/{orderId}/resolve", new { note = "second", attentionIds = seen });

        await ProblemAssert.IsSafeProblemAsync(second, 409);
        var detail = await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{orderId}");
        Assert.Equal("first", Assert.Single(detail.GetProperty("resolvedAttention").EnumerateArray()).GetProperty("note").GetString());
    }

    private async Task<List<long>> OpenItemIdsAsync(Guid orderId) =>
        (await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{orderId}")).GetProperty("order").GetProperty("attention")
        .EnumerateArray().Select(item => item.GetProperty("id").GetInt64()).ToList();
}
