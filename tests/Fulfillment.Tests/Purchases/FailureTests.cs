using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

public sealed class FailureTests : FulfillmentScenario
{
    [Theory]
    [InlineData(400, "400 Bad Request")]
    [InlineData(401, "WREN_API_TOKEN")]
    [InlineData(402, "top up credits")]
    [InlineData(403, "403 Forbidden")]
    public async Task A_permanent_refusal_fails_the_order_after_one_post(int status, string reasonHint)
    {
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(1, status);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await FailedAsync(orderId);
        var failed = Assert.Single(Api.Failed);
        Assert.Contains(reasonHint, failed.Reason);
        Assert.DoesNotContain("Injected failure", failed.Reason); // Wren's own text never travels upstream
        Assert.Equal(1, failed.Attempts);
        Assert.Single(Wren.State.ReceivedPosts);
        Assert.Empty(Wren.State.Orders);
        Assert.Equal(FulfillmentState.Failed, (await fulfillment.FulfillmentAsync(orderId))!.State);
        Assert.Empty(Api.Placed);
    }

    [Fact]
    public async Task An_order_below_Wrens_minimum_charge_is_refused_by_the_real_validation()
    {
        await using var fulfillment = await StartFulfillmentAsync();
        var orderId = Guid.NewGuid();

        // 0.05 t at 12.345 USD/t = 61.7 cents: below Wren's $1.00 minimum.
        await Api.PublishAsync(TestBus.Payment(orderId, tons: 0.05m, portfolioId: 7), Guid.NewGuid());

        await FailedAsync(orderId);
        Assert.Contains("400", Assert.Single(Api.Failed).Reason);
        Assert.Equal(400, Assert.Single(Wren.State.ReceivedPosts).Answer);
    }

    [Fact]
    public async Task Transient_failures_past_the_horizon_fail_the_order()
    {
        // 3 s of 50–200 ms delays leave room for a dozen attempts; a loaded machine (several test runs on two cores)
        // still fits a few, and the assertion asks only that the order was retried, not how often.
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["Fulfillment:RetryHorizon"] = "00:00:03");
        Wren.State.FailNextPosts(1000, 429);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await FailedAsync(orderId);
        var failed = Assert.Single(Api.Failed);
        Assert.StartsWith("Retries exhausted", failed.Reason);
        Assert.True(failed.Attempts >= 3, $"retried before giving up ({failed.Attempts} attempts)");
        Assert.Equal(failed.Attempts, Wren.State.ReceivedPosts.Count);
        Assert.Empty(Wren.State.Orders);
    }

    [Fact]
    public async Task A_dry_run_creates_no_Wren_order_and_says_so()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings => settings["WREN_DRY_RUN"] = "true");
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        var placed = Assert.Single(Api.Placed);
        Assert.True(placed.DryRun);
        Assert.Null(placed.WrenOrderId);
        Assert.Equal(100_428, placed.AmountCharged);
        Assert.True(Assert.Single(Wren.State.ReceivedPosts).DryRun);
        Assert.Empty(Wren.State.Orders);
    }

    [Fact]
    public async Task A_dry_run_with_a_test_token_is_answered_in_test_mode()
    {
        await using var fulfillment = await StartFulfillmentAsync(settings =>
        {
            settings["WREN_DRY_RUN"] = "true";
            settings["WREN_API_TOKEN"] = "wren_test_00000000-0000-4000-8000-000000000000";
        });
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        Assert.True(Assert.Single(Wren.State.ReceivedPosts).TestMode);
        Assert.Empty(Wren.State.Orders);
    }
}
