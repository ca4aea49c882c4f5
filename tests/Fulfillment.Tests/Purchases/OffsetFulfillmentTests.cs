using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

[Trait("Engine", "Neutral")]
public sealed class OffsetFulfillmentTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly RetryPolicy Policy = new([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)], TimeSpan.FromHours(1));

    private static OffsetFulfillment Scheduled() =>
        OffsetFulfillment.Schedule(new PaymentCompleted(Guid.NewGuid(), "cs_1", null, 1.5m, 21, 60_257, "usd", null, T0), T0, null, null);

    [Fact]
    public void A_new_fulfilment_is_due_at_once()
    {
        var fulfillment = Scheduled();
        Assert.Equal(FulfillmentState.Scheduled, fulfillment.State);
        Assert.True(fulfillment.IsDue(T0));
        Assert.Equal($"puffin-offset order {fulfillment.OrderId}", fulfillment.Note);
    }

    [Fact]
    public void A_successful_attempt_is_placed()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(dryRun: false, T0);
        Assert.Equal(FulfillmentState.Attempting, fulfillment.State);
        Assert.Equal(1, fulfillment.Attempts);

        fulfillment.MarkPlaced("ch_1", 60_257, T0.AddSeconds(1));

        var message = fulfillment.ToPlacedMessage();
        Assert.Equal(FulfillmentState.Placed, fulfillment.State);
        Assert.Equal(("ch_1", 60_257L, false, 1.5m, 21), (message.WrenOrderId, message.AmountCharged, message.DryRun, message.Tons, message.PortfolioId));
    }

    [Fact]
    public void A_transient_failure_schedules_the_next_delay_of_the_policy()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);
        fulfillment.RecordTransientFailure("Wren answered 503", outcomeUnknown: true, Policy, T0);
        Assert.Equal((FulfillmentState.Scheduled, true, T0.AddSeconds(1)), (fulfillment.State, fulfillment.OutcomeUnknown, fulfillment.NextAttemptAt));

        fulfillment.BeginAttempt(false, T0.AddSeconds(1));
        fulfillment.RecordTransientFailure("Wren answered 429", outcomeUnknown: false, Policy, T0.AddSeconds(1));
        Assert.Equal((false, T0.AddSeconds(6)), (fulfillment.OutcomeUnknown, fulfillment.NextAttemptAt));

        fulfillment.BeginAttempt(false, T0.AddSeconds(6));
        fulfillment.RecordTransientFailure("x", false, Policy, T0.AddSeconds(6));
        fulfillment.BeginAttempt(false, T0.AddSeconds(66));
        fulfillment.RecordTransientFailure("x", false, Policy, T0.AddSeconds(66));
        Assert.Equal(T0.AddSeconds(126), fulfillment.NextAttemptAt); // the last delay repeats
    }

    [Fact]
    public void A_time_named_by_Wren_delays_the_next_try_beyond_the_policy_but_never_brings_it_forward()
    {
        var fulfillment = OffsetFulfillment.Schedule(TestBus.Payment(Guid.NewGuid()), T0, null, null);
        fulfillment.BeginAttempt(dryRun: false, T0);
        fulfillment.RecordTransientFailure("Wren answered 429", outcomeUnknown: false, Policy, T0, notBefore: T0.AddSeconds(30));
        Assert.Equal(T0.AddSeconds(30), fulfillment.NextAttemptAt);

        fulfillment.BeginAttempt(dryRun: false, T0.AddSeconds(30));
        fulfillment.RecordTransientFailure("Wren answered 429", outcomeUnknown: false, Policy, T0.AddSeconds(30), notBefore: T0.AddSeconds(31));
        Assert.Equal(T0.AddSeconds(35), fulfillment.NextAttemptAt); // the policy's 5 s is longer
    }

    [Fact]
    public void After_an_unknown_outcome_the_lookup_waits_for_the_Wren_timeout_and_the_settle_time_from_the_attempts_start()
    {
        var policy = Policy with { UnknownOutcomeSettleTime = TimeSpan.FromSeconds(10), WrenTimeout = TimeSpan.FromSeconds(30) };
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);
        // A 503 after 2 s: Wren may still be writing the order until our timeout, and then some.
        fulfillment.RecordTransientFailure("Wren answered 503", outcomeUnknown: true, policy, T0.AddSeconds(2));
        Assert.Equal(T0.AddSeconds(40), fulfillment.NextAttemptAt);

        fulfillment.BeginAttempt(false, T0.AddSeconds(40));
        fulfillment.RecordTransientFailure("Wren answered 429", outcomeUnknown: false, policy, T0.AddSeconds(40));
        Assert.Equal(T0.AddSeconds(45), fulfillment.NextAttemptAt);
    }

    [Fact]
    public void Past_the_horizon_a_transient_failure_fails_the_fulfilment_and_warns_when_the_outcome_is_unknown()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);
        fulfillment.RecordTransientFailure("Wren's answer was lost: timed out", outcomeUnknown: true, Policy, T0.AddMinutes(59.99));

        Assert.Equal(FulfillmentState.Failed, fulfillment.State);
        var message = fulfillment.ToFailedMessage();
        Assert.StartsWith("Retries exhausted after 1 attempt(s)", message.Reason);
        Assert.Contains(fulfillment.Note, message.Reason);
        Assert.Equal(1, message.Attempts);
    }

    [Fact]
    public void An_interrupted_attempt_is_rescheduled_with_an_unknown_outcome()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);

        fulfillment.RecoverInterruptedAttempt(Policy with { UnknownOutcomeSettleTime = TimeSpan.FromSeconds(10), WrenTimeout = TimeSpan.FromSeconds(30) }, T0.AddMinutes(5));

        Assert.Equal((FulfillmentState.Scheduled, true), (fulfillment.State, fulfillment.OutcomeUnknown));
        Assert.True(fulfillment.IsDue(T0.AddMinutes(5)));
    }

    [Fact]
    public void An_attempt_interrupted_moments_ago_is_looked_up_only_after_the_POST_slack_the_Wren_timeout_and_the_settle_time()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);

        // A shutdown 2 s into the POST, which left up to PostStartSlack (1 s) after the start the claim committed: the
        // request may run at Wren for the full timeout from then.
        fulfillment.RecoverInterruptedAttempt(Policy with { UnknownOutcomeSettleTime = TimeSpan.FromSeconds(10), WrenTimeout = TimeSpan.FromSeconds(30) }, T0.AddSeconds(2));

        Assert.Equal(T0.AddSeconds(41), fulfillment.NextAttemptAt);
    }

    [Fact]
    public void An_unknown_outcome_found_by_note_is_placed_without_a_new_attempt()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);
        fulfillment.RecordTransientFailure("lost", true, Policy, T0);

        fulfillment.MarkPlaced("ch_found", amountCharged: null, T0.AddSeconds(2));

        Assert.Equal((FulfillmentState.Placed, 1, "ch_found"), (fulfillment.State, fulfillment.Attempts, fulfillment.WrenOrderId));
    }

    [Fact]
    public void A_rejection_is_final()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);
        fulfillment.MarkRejected("Wren refused the order (402 Payment Required): top up credits", T0);

        Assert.Equal(FulfillmentState.Failed, fulfillment.State);
        Assert.Throws<InvalidOperationException>(() => fulfillment.BeginAttempt(false, T0));
        Assert.Throws<InvalidOperationException>(() => fulfillment.MarkPlaced("ch_1", 1, T0));
    }

    [Fact]
    public void Invalid_transitions_are_refused()
    {
        var fulfillment = Scheduled();
        Assert.Throws<InvalidOperationException>(() => fulfillment.MarkRejected("x", T0));
        Assert.Throws<InvalidOperationException>(() => fulfillment.RecoverInterruptedAttempt(Policy, T0));
        fulfillment.BeginAttempt(false, T0);
        Assert.Throws<InvalidOperationException>(() => fulfillment.BeginAttempt(false, T0));
        fulfillment.MarkPlaced(null, 100, T0);
        Assert.Throws<InvalidOperationException>(() => fulfillment.RecordTransientFailure("x", false, Policy, T0));
        Assert.Throws<InvalidOperationException>(() => fulfillment.Replay(T0));
    }

    [Fact]
    public void A_failed_fulfilment_can_be_replayed_with_a_fresh_retry_budget()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(false, T0);
        fulfillment.MarkRejected("402", T0);

        fulfillment.Replay(T0.AddHours(3));

        Assert.True(fulfillment.IsDue(T0.AddHours(3)));
        fulfillment.BeginAttempt(false, T0.AddHours(3));
        fulfillment.RecordTransientFailure("503", true, Policy, T0.AddHours(3));
        Assert.Equal(FulfillmentState.Scheduled, fulfillment.State);
    }

    [Fact]
    public void A_lost_answer_then_a_refund_cancels_and_a_late_Wren_order_found_afterwards_is_placed_for_the_Api_to_flag()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(dryRun: false, T0);
        fulfillment.RecordTransientFailure("timeout", outcomeUnknown: true, Policy, T0.AddSeconds(1));
        Assert.True(fulfillment.LateOrderCheckPending);
        // The lookup found nothing and the refund came before the next POST.
        fulfillment.RecordRefund(T0.AddSeconds(2), T0.AddSeconds(2));
        Assert.False(fulfillment.BeginAttemptUnlessRefunded(dryRun: false, T0.AddSeconds(3), T0.AddMinutes(1)));
        Assert.Equal((FulfillmentState.Cancelled, (DateTimeOffset?)T0.AddSeconds(3)), (fulfillment.State, fulfillment.OutcomeAt));

        var (extra, sendPlaced) = fulfillment.RecordLateOrderCheck(["ch_late"], T0.AddMinutes(20));

        Assert.Equal((0, true, false), (extra, sendPlaced, fulfillment.LateOrderCheckPending));
        Assert.Equal((FulfillmentState.Placed, "ch_late"), (fulfillment.State, fulfillment.ToPlacedMessage().WrenOrderId));
    }

    [Fact]
    public void A_late_order_check_that_finds_only_the_placed_order_reports_nothing()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(dryRun: false, T0);
        fulfillment.RecordTransientFailure("timeout", outcomeUnknown: true, Policy, T0.AddSeconds(1));
        fulfillment.BeginAttempt(dryRun: false, T0.AddSeconds(12));
        fulfillment.MarkPlaced("ch_1", 60_257, T0.AddSeconds(13));
        Assert.True(fulfillment.LateOrderCheckPending);

        Assert.Equal((0, false), fulfillment.RecordLateOrderCheck(["ch_1"], T0.AddMinutes(20)));
        Assert.Equal((0, false), fulfillment.RecordLateOrderCheck([], T0.AddMinutes(21)));

        Assert.Equal(FulfillmentState.Placed, fulfillment.State);
        Assert.False(fulfillment.LateOrderCheckPending);
        Assert.Null(fulfillment.ToPlacedMessage().DuplicateWrenOrderIds);
    }
}
