using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

/// <summary>
/// The lease rule (<see cref="FulfillmentLease"/>) and the one path that starts a step (<see cref="AttemptStart"/>),
/// on rows in memory: the entity, the worker's query and the fence's query all answer from the same definition.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class FulfillmentLeaseTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
    private const string Holder = "replica-a";
    private const string Other = "replica-b";

    private static OffsetFulfillment Scheduled() =>
        OffsetFulfillment.Schedule(new PaymentCompleted(Guid.NewGuid(), "cs_1", null, 1.5m, 21, 60_257, "usd", null, T0), T0, null, null);

    private static OffsetFulfillment LeasedUntil(DateTimeOffset until)
    {
        var fulfillment = Scheduled();
        fulfillment.TakeLease(Holder, until);
        return fulfillment;
    }

    public static TheoryData<int> SecondsToExpiry => new() { -30, -1, 0, 1, 30 };

    [Theory]
    [MemberData(nameof(SecondsToExpiry))]
    public void The_holder_holds_a_lease_exactly_while_no_other_replica_may_take_it(int secondsToExpiry)
    {
        var fulfillment = LeasedUntil(T0.AddSeconds(secondsToExpiry));

        var held = fulfillment.IsHeldBy(Holder, T0);

        Assert.Equal(held, FulfillmentLease.HeldBy(Holder, T0).Compile()(fulfillment));
        Assert.Equal(!held, FulfillmentLease.TakeableBy(Other, T0, anyHolderIsStale: false).Compile()(fulfillment));
        Assert.True(FulfillmentLease.TakeableBy(Holder, T0, anyHolderIsStale: false).Compile()(fulfillment));
        Assert.False(fulfillment.IsHeldBy(Other, T0));
    }

    [Fact]
    public void A_lease_that_runs_out_at_the_very_moment_asked_about_is_no_longer_held()
    {
        var fulfillment = LeasedUntil(T0);

        Assert.False(fulfillment.IsHeldBy(Holder, T0));
        Assert.False(FulfillmentLease.HeldBy(Holder, T0).Compile()(fulfillment));
        Assert.True(FulfillmentLease.TakeableBy(Other, T0, anyHolderIsStale: false).Compile()(fulfillment));
    }

    [Fact]
    public void The_fence_asks_for_a_lease_that_outlasts_the_Wren_call_by_the_same_rule()
    {
        var fulfillment = LeasedUntil(T0.AddSeconds(30));

        // Held now, but not past a Wren call that would end when the lease does, nor one that ends later.
        Assert.True(FulfillmentLease.HeldBy(Holder, T0).Compile()(fulfillment));
        Assert.False(FulfillmentLease.HeldBy(Holder, T0.AddSeconds(30)).Compile()(fulfillment));
        Assert.False(FulfillmentLease.HeldBy(Holder, T0.AddSeconds(31)).Compile()(fulfillment));
    }

    [Fact]
    public void A_plain_due_attempt_begins_with_the_lease_renewed_for_the_POST()
    {
        var fulfillment = Scheduled();

        Assert.Equal(StepStart.Begun, AttemptStart.Claim(fulfillment, Holder, dryRun: false, T0, T0.AddMinutes(2)));

        Assert.Equal((FulfillmentState.Attempting, 1), (fulfillment.State, fulfillment.Attempts));
        Assert.True(fulfillment.IsHeldBy(Holder, T0.AddSeconds(119)));
    }

    [Fact]
    public void A_refunded_fulfilment_is_cancelled_by_the_claim_and_never_leased()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(dryRun: false, T0);
        fulfillment.RecordRefund(T0, T0); // during the attempt: recorded, not cancelled
        fulfillment.RecordTransientFailure("Wren answered 503", outcomeUnknown: false, new([TimeSpan.FromSeconds(1)], TimeSpan.FromHours(1)), T0);

        Assert.Equal(StepStart.Cancelled, AttemptStart.Claim(fulfillment, Holder, dryRun: false, T0.AddSeconds(5), T0.AddMinutes(2)));

        Assert.Equal((FulfillmentState.Cancelled, 1, null), (fulfillment.State, fulfillment.Attempts, fulfillment.LeaseOwner));
    }

    [Fact]
    public void An_unknown_outcome_is_only_leased_until_its_lookup_found_nothing_and_then_begins_unless_refunded()
    {
        var fulfillment = Scheduled();
        fulfillment.BeginAttempt(dryRun: false, T0);
        fulfillment.RecordTransientFailure("timeout", outcomeUnknown: true, new([TimeSpan.FromSeconds(1)], TimeSpan.FromHours(1)), T0);
        var due = fulfillment.NextAttemptAt;

        Assert.Equal(StepStart.Leased, AttemptStart.Claim(fulfillment, Holder, dryRun: false, due, due.AddMinutes(2)));
        Assert.Equal((FulfillmentState.Scheduled, Holder), (fulfillment.State, fulfillment.LeaseOwner));

        fulfillment.RecordRefund(due, due);
        Assert.Equal(StepStart.Cancelled, AttemptStart.Claim(fulfillment, Holder, dryRun: false, due, due.AddMinutes(2), lookedUp: true));
        Assert.Equal(FulfillmentState.Cancelled, fulfillment.State);
    }
}
