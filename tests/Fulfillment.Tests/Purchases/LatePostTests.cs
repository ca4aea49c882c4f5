using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

/// <summary>
/// A POST held up after its claim (here stalled at its lease fence while the test moves Fulfillment's clock, then held
/// up again by the Api's answer to the refund check right before it) commits a new attempt start before it leaves, so
/// that a replica that finds the attempt interrupted waits for a POST that left that late before it looks the order up
/// (<see cref="RetryPolicy.EarliestLookupAfterInterruption"/>).
/// </summary>
public sealed class LatePostTests : RefundApiScenario
{
    private readonly TestClock _clock = new();

    [Fact]
    public async Task A_POST_held_up_past_the_slack_after_its_claim_commits_its_new_start_before_it_leaves()
    {
        var gate = new FenceGate(afterTheCheck: false);
        await using var fulfillment = await StartFulfillmentAsync(settings =>
            {
                FakeRefundApi.AskedBy(settings, RefundApi);
                settings["Fulfillment:RefundCheckAfter"] = "00:00:02";
                settings["Fulfillment:LeaseDuration"] = "00:01:00"; // moving the clock never costs the lease
            },
            services => services.AddSingleton<TimeProvider>(_clock).AddSingleton<IInterceptor>(gate));
        var wrenAnswer = Wren.State.HoldNextPost();
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(90));
        var claimed = (await fulfillment.FulfillmentAsync(orderId))!;
        Assert.Equal(FulfillmentState.Attempting, claimed.State);
        _clock.Advance(TimeSpan.FromSeconds(3));
        var heldUpUntil = _clock.GetUtcNow();
        gate.Open();

        // Asked whether it was refunded (no), the POST has left and Wren holds its answer: the start the database has is
        // from after the hold-up, not the claim's.
        await Eventually.TrueAsync(() => Wren.State.PostsStarted == 1, because: "the POST reaches Wren");
        Assert.NotEmpty(RefundApi.Questions); // once, or again if its answer took RefundCheckAfter on a loaded machine
        var inFlight = (await fulfillment.FulfillmentAsync(orderId))!;
        Assert.Equal(FulfillmentState.Attempting, inFlight.State);
        Assert.True(inFlight.AttemptStartedAt >= heldUpUntil,
            $"the committed start {inFlight.AttemptStartedAt:O} is from before the POST was held up (until {heldUpUntil:O}); the claim's was {claimed.AttemptStartedAt:O}");

        wrenAnswer.SetResult();
        await PlacedAsync(orderId);
        Assert.Single(Wren.State.ReceivedPosts);
    }
}
