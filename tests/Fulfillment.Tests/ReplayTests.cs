using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using PuffinOffset.Fulfillment.Admin;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests;

public sealed class ReplayTests : FulfillmentScenario
{
    [Fact]
    public async Task An_operator_reads_the_reason_and_replays_a_failed_fulfilment_once_the_cause_is_fixed()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(1, 402);
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await FailedAsync(orderId);
        using var http = fulfillment.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FulfillmentTestHost.AdminKey);

        var view = await http.GetFromJsonAsync<FulfillmentAdminEndpoints.FulfillmentView>($"/admin/fulfillments/{orderId}");
        Assert.Equal("Failed", view!.State);
        Assert.Contains("top up credits", view.LastError);

        using var replay = await http.PostAsync($"/admin/fulfillments/{orderId}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);

        await PlacedAsync(orderId);
        Assert.Single(Wren.State.Orders);
        Assert.Equal([402, 200], Wren.State.ReceivedPosts.Select(p => p.Answer));
        using var again = await http.PostAsync($"/admin/fulfillments/{orderId}/replay", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task The_admin_endpoints_refuse_a_missing_or_wrong_key()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        using var http = fulfillment.CreateClient();

        using var anonymous = await http.GetAsync($"/admin/fulfillments/{Guid.NewGuid()}");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        using var wrong = await http.PostAsync($"/admin/fulfillments/{Guid.NewGuid()}/replay", null);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task A_replay_after_an_unknown_outcome_looks_the_order_up_first()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["Fulfillment:RetryHorizon"] = "00:00:00.500");
        // Wren stores the order but the answer is lost, and the lookups keep failing until the horizon.
        Wren.State.DropConnectionAfterStoringNextPosts(1);
        Wren.State.FailNextLookups(1000, 503);
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await FailedAsync(orderId);
        Assert.Contains("outcome is unknown", Assert.Single(Api.Failed).Reason);

        Wren.State.ClearFaults();
        using var http = fulfillment.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", FulfillmentTestHost.AdminKey);
        using var replay = await http.PostAsync($"/admin/fulfillments/{orderId}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);

        await PlacedAsync(orderId);
        var order = Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Equal(order.Id, Assert.Single(Api.Placed).WrenOrderId);
    }
}
