using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Fulfillment.Tests.Refunds;

/// <summary>Which attempts the Api is asked about, and what its verdict does in the one place an attempt begins.</summary>
[Trait("Engine", "Neutral")]
public sealed class RefundCheckRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan After = TimeSpan.FromSeconds(2);
    private static readonly RetryPolicy Policy = new([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)], TimeSpan.FromHours(1));

    private static OffsetFulfillment Scheduled(DateTimeOffset paidAt, DateTimeOffset receivedAt) =>
        OffsetFulfillment.Schedule(new PaymentCompleted(Guid.NewGuid(), "cs_1", null, 1.5m, 21, 60_257, "usd", null, paidAt), receivedAt, null, null);

    [Fact]
    public void An_immediate_purchase_is_not_checked_and_one_that_begins_RefundCheckAfter_after_the_payment_is()
    {
        var immediate = Scheduled(paidAt: T0, receivedAt: T0);

        Assert.False(immediate.NeedsRefundCheck(T0.AddSeconds(1.9), After));
        Assert.True(immediate.NeedsRefundCheck(T0.AddSeconds(2), After));
    }

    [Fact]
    public void A_payment_from_a_backlog_is_checked_at_once_and_a_clock_ahead_at_the_Api_checks_from_when_it_arrived()
    {
        var fromBacklog = Scheduled(paidAt: T0.AddMinutes(-10), receivedAt: T0);
        var apiClockAhead = Scheduled(paidAt: T0.AddHours(1), receivedAt: T0);

        Assert.True(fromBacklog.NeedsRefundCheck(T0, After));
        Assert.False(apiClockAhead.NeedsRefundCheck(T0.AddSeconds(1), After));
        Assert.True(apiClockAhead.NeedsRefundCheck(T0.AddSeconds(2), After));
    }

    [Fact]
    public void The_Api_reporting_a_full_refund_cancels_the_attempt_as_the_OrderRefunded_consumer_would()
    {
        var fulfillment = Scheduled(T0, T0);
        var refundedAt = T0.AddSeconds(1);

        var start = AttemptStart.Claim(fulfillment, "replica-a", dryRun: false, T0.AddSeconds(5), T0.AddMinutes(2),
            refundCheck: new RefundVerdict(RefundCheckOutcome.Refunded, refundedAt), policy: Policy);

        Assert.Equal(StepStart.Cancelled, start);
        Assert.Equal((FulfillmentState.Cancelled, 0, refundedAt), (fulfillment.State, fulfillment.Attempts, fulfillment.RefundedAt));
        Assert.Equal(new OrderRefundAcknowledged(fulfillment.OrderId, true, "Cancelled", T0), fulfillment.ToRefundAcknowledgement(T0));
    }

    [Fact]
    public void No_answer_from_the_Api_leaves_the_attempt_scheduled_unleased_and_unsent_on_the_retry_schedule_until_the_horizon()
    {
        var fulfillment = Scheduled(T0, T0);

        var start = AttemptStart.Claim(fulfillment, "replica-a", dryRun: false, T0.AddSeconds(5), T0.AddMinutes(2),
            refundCheck: RefundVerdict.Unavailable, policy: Policy);

        Assert.Equal(StepStart.Postponed, start);
        Assert.Equal((FulfillmentState.Scheduled, 0, (string?)null, T0.AddSeconds(6)),
            (fulfillment.State, fulfillment.Attempts, fulfillment.LeaseOwner, fulfillment.NextAttemptAt));
        Assert.Equal(OffsetFulfillment.RefundCheckUnavailable, fulfillment.LastError);

        Assert.Equal(StepStart.Postponed, AttemptStart.Claim(fulfillment, "replica-a", dryRun: false, T0.AddMinutes(59.99), T0.AddMinutes(62),
            refundCheck: RefundVerdict.Unavailable, policy: Policy));
        Assert.Equal(FulfillmentState.Failed, fulfillment.State);
    }

    [Fact]
    public void After_a_lookup_found_nothing_the_Api_reporting_a_full_refund_still_cancels_the_attempt()
    {
        var fulfillment = Scheduled(T0, T0);
        Assert.True(fulfillment.LookUpFirstAfterRestore(T0));

        var start = AttemptStart.Claim(fulfillment, "replica-a", dryRun: false, T0.AddSeconds(5), T0.AddMinutes(2), lookedUp: true,
            new RefundVerdict(RefundCheckOutcome.Refunded, T0), Policy);

        Assert.Equal((StepStart.Cancelled, FulfillmentState.Cancelled, 0), (start, fulfillment.State, fulfillment.Attempts));
    }

    [Fact]
    public void The_Api_reporting_no_refund_begins_the_attempt()
    {
        var fulfillment = Scheduled(T0, T0);

        Assert.Equal(StepStart.Begun, AttemptStart.Claim(fulfillment, "replica-a", dryRun: false, T0.AddSeconds(5), T0.AddMinutes(2),
            refundCheck: RefundVerdict.NotRefunded, policy: Policy));
        Assert.Equal((FulfillmentState.Attempting, 1), (fulfillment.State, fulfillment.Attempts));
    }

    [Fact]
    public void Right_before_a_POST_the_age_counts_from_the_Apis_last_not_refunded_or_for_an_unasked_purchase_from_its_payment()
    {
        var immediate = Scheduled(paidAt: T0, receivedAt: T0);
        var answeredAt = T0.AddSeconds(5);

        Assert.True(immediate.NeedsRefundCheck(T0.AddSeconds(2), After, answeredAsOf: null));
        Assert.False(immediate.NeedsRefundCheck(answeredAt.AddSeconds(1.9), After, answeredAt));
        Assert.True(immediate.NeedsRefundCheck(answeredAt.AddSeconds(2), After, answeredAt));
    }

    [Theory]
    [InlineData(RefundCheckOutcome.Refunded, StepStart.Cancelled, FulfillmentState.Cancelled)]
    [InlineData(RefundCheckOutcome.Unavailable, StepStart.Postponed, FulfillmentState.Scheduled)]
    [InlineData(RefundCheckOutcome.NotRefunded, StepStart.Begun, FulfillmentState.Attempting)]
    public void Asked_again_before_the_POST_the_Apis_verdict_ends_the_unsent_attempt_as_at_a_claim(
        RefundCheckOutcome outcome, StepStart expected, FulfillmentState state)
    {
        var fulfillment = Scheduled(T0, T0);
        Assert.Equal(StepStart.Begun, AttemptStart.Claim(fulfillment, "replica-a", dryRun: false, T0, T0.AddMinutes(2)));
        var now = T0.AddSeconds(30);

        var start = AttemptStart.ConfirmBeforePost(fulfillment, "replica-a", dryRun: false, new RefundVerdict(outcome, T0.AddSeconds(20), now), now,
            now.AddMinutes(2), Policy);

        Assert.Equal((expected, state), (start, fulfillment.State));
        Assert.Equal(outcome == RefundCheckOutcome.NotRefunded ? 1 : 0, fulfillment.Attempts);
        Assert.Equal(outcome == RefundCheckOutcome.Refunded ? T0.AddSeconds(20) : null, fulfillment.RefundedAt);
        if (outcome == RefundCheckOutcome.Unavailable)
        {
            Assert.Equal(((string?)null, OffsetFulfillment.RefundCheckUnavailable), (fulfillment.LeaseOwner, fulfillment.LastError));
        }
    }
}
