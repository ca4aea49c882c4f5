using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Admin;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Messaging.InternalApi;

namespace PuffinOffset.Api.Tests.Internal;

/// <summary>
/// <c>POST /api/internal/refund-status</c>: what Fulfillment asks before a delayed purchase. Service keys
/// (<c>SERVICE_API_KEYS_FILE</c>) open it and nothing else; an admin key does not open it.
/// </summary>
public sealed class RefundStatusTests : AdminTestBase
{
    public const string FulfillmentKey = "fulfillment-TESTONLY-0123456789abcdef0123";

    protected override void Configure(Dictionary<string, string?> settings)
    {
        base.Configure(settings);
        var file = Folder.File("service-keys");
        File.WriteAllText(file, $"fulfillment {AdminKeysTests.Sha256Hex(FulfillmentKey)}\n");
        settings["SERVICE_API_KEYS_FILE"] = file;
    }

    [Fact]
    public async Task Each_order_asked_about_is_answered_refunded_in_full_or_not_and_unknown_ids_as_unknown()
    {
        var refunded = await OrderAsync(OrderStatus.Paid);
        var partial = await OrderAsync(OrderStatus.Paid);
        var paid = await OrderAsync(OrderStatus.Paid);
        var unknown = Guid.NewGuid();
        await ArrangeAsync(refunded, (order, now) => order.ApplyRefund(order.AmountTotal, fullRefund: true, now));
        await ArrangeAsync(partial, (order, now) => order.ApplyRefund(40, fullRefund: false, now));
        using var fulfillment = Service(FulfillmentKey);

        using var response = await fulfillment.PostAsJsonAsync(RefundStatusRequest.Path, new { orderIds = new[] { refunded, partial, paid, unknown } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = (await response.Content.ReadFromJsonAsync<RefundStatusResponse>())!;
        Assert.Equal([refunded, partial, paid, unknown], answer.Orders.Select(o => o.OrderId));
        var byId = answer.Orders.ToDictionary(o => o.OrderId);
        Assert.True(byId[refunded] is { Known: true, Refunded: true, Status: "refunded", AmountRefunded: > 0, RefundedAt: not null });
        Assert.True(byId[partial] is { Known: true, Refunded: false, Status: "paid", AmountRefunded: 40, RefundedAt: null });
        Assert.True(byId[paid] is { Known: true, Refunded: false, Status: "paid", AmountRefunded: 0 });
        Assert.True(byId[unknown] is { Known: false, Refunded: false, Status: null });
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("{}")]
    [InlineData("{\"orderIds\":[]}")]
    [InlineData("{\"orderIds\":[\"00000000-0000-0000-0000-000000000000\"]}")]
    [InlineData("{\"orderIds\":[\"not-a-guid\"]}")]
    [InlineData("TOO_MANY")]
    public async Task A_body_that_is_not_a_bounded_list_of_order_ids_gets_a_400_problem(string body)
    {
        if (body == "TOO_MANY")
        {
            body = $"{{\"orderIds\":[{string.Join(",", Enumerable.Range(0, RefundStatusRequest.MaxOrderIds + 1).Select(_ => $"\"{Guid.NewGuid()}\""))}]}}";
        }

        using var fulfillment = Service(FulfillmentKey);

        using var response = await fulfillment.PostAsync(RefundStatusRequest.Path, new StringContent(body, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsSafeProblemAsync(response, 400);
    }

    [Fact]
    public async Task Without_a_service_key_or_with_an_admin_key_the_endpoint_answers_401()
    {
        var body = new { orderIds = new[] { Guid.NewGuid() } };

        using var anonymous = await Client.PostAsJsonAsync(RefundStatusRequest.Path, body);
        using var withAdminKey = await Admin.PostAsJsonAsync(RefundStatusRequest.Path, body);
        using var withWrongKey = await Service("not-the-key-TESTONLY-0123456789abcdef").PostAsJsonAsync(RefundStatusRequest.Path, body);

        await ProblemAssert.IsSafeProblemAsync(anonymous, 401);
        await ProblemAssert.IsSafeProblemAsync(withAdminKey, 401);
        await ProblemAssert.IsSafeProblemAsync(withWrongKey, 401);
    }

    [Fact]
    public async Task A_service_key_never_opens_an_admin_endpoint()
    {
        using var fulfillment = Service(FulfillmentKey);

        using var list = await fulfillment.GetAsync("/api/admin/orders");
        using var replay = await fulfillment.PostAsJsonAsync("/api/admin/orders/replay", new { status = "fulfillment_failed" });

        await ProblemAssert.IsSafeProblemAsync(list, 401);
        await ProblemAssert.IsSafeProblemAsync(replay, 401);
        using var asOperator = await Admin.GetAsync("/api/admin/orders");
        Assert.Equal(HttpStatusCode.OK, asOperator.StatusCode);
    }

    private HttpClient Service(string key)
    {
        var client = Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}
