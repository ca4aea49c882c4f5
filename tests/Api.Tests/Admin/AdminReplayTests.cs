using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Admin;

public sealed class AdminReplayTests : AdminTestBase
{
    [Fact]
    public async Task Replaying_a_failed_order_publishes_FulfillmentReplayRequested_through_the_outbox_and_records_it()
    {
        var orderId = await OrderAsync(OrderStatus.FulfillmentFailed);
        await using var fulfillment = await PaymentCompletedListener.StartAsync(BrokerUri);

        using var response = await Admin.PostAsJsonAsync($"/api/admin/orders/{orderId}/replay", new { note = "Wren credits topped up", requestedBy = "ops on call" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var detail = await response.Content.ReadFromJsonAsync<JsonElement>();
        var entry = Assert.Single(detail.GetProperty("history").EnumerateArray());
        // Who acted is the key's operator (ADMIN_API_KEY is "admin"), not the requestedBy an older client sends.
        Assert.Equal(("replay_requested", "Wren credits topped up", "admin"),
            (entry.GetProperty("kind").GetString(), entry.GetProperty("note").GetString(), entry.GetProperty("requestedBy").GetString()));
        // The order stays fulfillment_failed until Fulfillment's outcome moves it.
        Assert.Equal("fulfillment_failed", detail.GetProperty("order").GetProperty("status").GetString());

        var request = await Eventually.ValueAsync(() => Task.FromResult(fulfillment.ReplayRequests.SingleOrDefault()), r => r is not null,
            because: "Fulfillment receives the replay request");
        Assert.Equal((orderId, "admin", "Wren credits topped up"), (request!.OrderId, request.RequestedBy, request.Note));
    }

    [Fact]
    public async Task A_replay_without_a_body_is_accepted_and_names_the_operator_of_the_key_as_requester()
    {
        var orderId = await OrderAsync(OrderStatus.FulfillmentFailed);

        using var response = await Admin.PostAsync($"/api/admin/orders/{orderId}/replay", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var entry = await Api.WithDbAsync(db => db.OrderHistory.AsNoTracking().SingleAsync(e => e.OrderId == orderId));
        Assert.Equal((OrderHistoryKind.ReplayRequested, "admin", null), (entry.Kind, entry.RequestedBy, entry.Note));
    }

    [Theory]
    [InlineData(OrderStatus.Paid)]
    [InlineData(OrderStatus.Fulfilled)]
    [InlineData(OrderStatus.Pending)]
    public async Task Replaying_an_order_that_has_not_failed_is_a_409_problem_and_sends_nothing(OrderStatus status)
    {
        var orderId = await OrderAsync(status);

        using var response = await Admin.PostAsync($"/api/admin/orders/{orderId}/replay", null);

        var problem = await ProblemAssert.IsSafeProblemAsync(response, 409);
        Assert.Contains("only a fulfillment_failed order can be replayed", problem);
        Assert.Equal(0, await OutboxCountAsync("FulfillmentReplayRequested"));
        Assert.False(await Api.WithDbAsync(db => db.OrderHistory.AnyAsync()));
    }

    [Fact]
    public async Task Replaying_an_unknown_order_is_a_404_problem()
    {
        using var response = await Admin.PostAsync($"/api/admin/orders/{Guid.NewGuid()}/replay", null);

        await ProblemAssert.IsSafeProblemAsync(response, 404);
    }

    [Fact]
    public async Task Replay_all_sends_one_request_per_failed_order_and_answers_how_many()
    {
        var failed = new[] { await OrderAsync(OrderStatus.FulfillmentFailed), await OrderAsync(OrderStatus.FulfillmentFailed) };
        await OrderAsync(OrderStatus.Paid);
        await OrderAsync(OrderStatus.Fulfilled);

        using var response = await Admin.PostAsJsonAsync("/api/admin/orders/replay", new { status = "fulfillment_failed" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, result.GetProperty("requested").GetInt32());
        Assert.Equal(failed.Order(), result.GetProperty("orderIds").EnumerateArray().Select(e => e.GetGuid()).Order());
        var sent = await Api.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Where(m => m.MessageType == "FulfillmentReplayRequested").Select(m => m.Payload).ToListAsync());
        Assert.Equal(failed.Order(), sent.Select(p => JsonDocument.Parse(p).RootElement.GetProperty("orderId").GetGuid()).Order());
    }

    [Theory]
    [InlineData("{\"status\":\"paid\"}")]
    [InlineData("{}")]
    public async Task Replay_all_of_anything_but_fulfillment_failed_is_a_400_problem(string body)
    {
        await OrderAsync(OrderStatus.FulfillmentFailed);

        using var response = await Admin.PostAsync("/api/admin/orders/replay", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsSafeProblemAsync(response, 400);
        Assert.Equal(0, await OutboxCountAsync("FulfillmentReplayRequested"));
    }
}
