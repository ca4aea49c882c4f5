using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>
/// Attention items through real webhooks: any number of them per order, a resolve that closes only what the
/// operator saw, and views where only operators see them.
/// </summary>
public sealed class AttentionItemsTests : AdminTestBase
{
    private const string DisputeOpened = "payment disputed (dp_1TESTpaid0001DisputeAbCd, reason fraudulent): answer it in Stripe's dashboard";

    // These tests read the database and the views; publishing the outbox is covered elsewhere.
    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["Outbox:DispatcherEnabled"] = "false";
    }

    [Fact]
    public async Task Forty_partial_refunds_then_a_full_refund_and_a_dispute_are_all_recorded_and_listed_for_an_operator()
    {
        var created = await PaidOrderAsync();

        for (var i = 1; i <= 40; i++)
        {
            await PostAsync(PartialRefund(amountRefunded: i * 10, $"evt_TEST_partial{i:D2}"));
        }

        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.DisputeCreated));

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, true), (order.Status, order.Disputed));
        var open = (await AdminOrderAsync(created.OrderId)).GetProperty("attention").EnumerateArray().ToList();
        Assert.Equal(41, open.Count);
        Assert.All(open.Take(40), item => Assert.Equal("partial_refund", item.GetProperty("kind").GetString()));
        Assert.Equal("partially refunded (10 of", open[0].GetProperty("text").GetString()![..25]);
        Assert.Equal(("dispute_opened", DisputeOpened), (open[40].GetProperty("kind").GetString(), open[40].GetProperty("text").GetString()));
        var listed = Assert.Single((await Admin.GetFromJsonAsync<JsonElement>("/api/admin/orders?attention=true")).GetProperty("items").EnumerateArray());
        Assert.Equal(41, listed.GetProperty("attention").GetArrayLength());
    }

    [Fact]
    public async Task A_resolve_closes_the_items_the_operator_saw_and_one_raised_meanwhile_stays_open()
    {
        var created = await PaidOrderAsync();
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedPartial));
        var seen = (await AdminOrderAsync(created.OrderId)).GetProperty("attention").EnumerateArray().ToList();
        var partial = Assert.Single(seen);

        // A webhook raises another reason after the operator's page was loaded.
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.DisputeCreated));
        using var response = await Admin.PostAsJsonAsync($"/api/admin/orders/{created.OrderId}/resolve",
            new { note = "Customer asked for 10 USD back; offset kept.", attentionIds = new[] { partial.GetProperty("id").GetInt64() } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var detail = await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{created.OrderId}");
        var stillOpen = Assert.Single(detail.GetProperty("order").GetProperty("attention").EnumerateArray());
        Assert.Equal(DisputeOpened, stillOpen.GetProperty("text").GetString());
        var resolved = Assert.Single(detail.GetProperty("resolvedAttention").EnumerateArray());
        Assert.Equal((partial.GetProperty("text").GetString(), "admin", "Customer asked for 10 USD back; offset kept."),
            (resolved.GetProperty("text").GetString(), resolved.GetProperty("resolvedBy").GetString(), resolved.GetProperty("note").GetString()));
        var entry = Assert.Single(detail.GetProperty("history").EnumerateArray());
        Assert.Equal(("admin", "Customer asked for 10 USD back; offset kept.", partial.GetProperty("text").GetString()),
            (entry.GetProperty("requestedBy").GetString(), entry.GetProperty("note").GetString(), entry.GetProperty("clearedAttention").GetString()));
        Assert.Equal(DisputeOpened, (await OrderAsync(created.OrderId)).OpenAttention());
        Assert.Single((await Admin.GetFromJsonAsync<JsonElement>("/api/admin/orders?attention=true")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task The_public_views_carry_no_attention_while_the_admin_view_does()
    {
        var created = await PaidOrderAsync();
        await PostAsync(StripeEventFixture.Raw(StripeEventFixture.DisputeCreated));

        foreach (var path in new[] { $"/api/orders/{created.OrderId}", $"/api/checkout/session/{created.SessionId}" })
        {
            var raw = await Client.GetStringAsync(path);
            Assert.DoesNotContain("attention", raw, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("dp_1TESTpaid0001DisputeAbCd", raw);
            Assert.DoesNotContain("liveMode", raw, StringComparison.OrdinalIgnoreCase);
            Assert.True(JsonDocument.Parse(raw).RootElement.GetProperty("disputed").GetBoolean());
        }

        var admin = await AdminOrderAsync(created.OrderId);
        Assert.Equal(DisputeOpened, Assert.Single(admin.GetProperty("attention").EnumerateArray()).GetProperty("text").GetString());
        Assert.False(admin.GetProperty("paidInLiveMode").GetBoolean());
    }

    private async Task<CreatedOrder> PaidOrderAsync()
    {
        var created = await CreateOrderAsync();
        await PostAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId));
        return created;
    }

    private static string PartialRefund(long amountRefunded, string eventId)
    {
        var body = StripeEventFixture.ForPaymentIntent(StripeEventFixture.ChargeRefundedPartial, StripeEventFixture.PaymentIntentId, eventId);
        return body.Replace("\"amount_refunded\": 1000,", $"\"amount_refunded\": {amountRefunded},");
    }

    private async Task<JsonElement> AdminOrderAsync(Guid orderId) =>
        (await Admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{orderId}")).GetProperty("order");

    private async Task PostAsync(string body)
    {
        using var response = await PostSignedWebhookAsync(body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
