using PuffinOffset.Fulfillment.Restore;

namespace PuffinOffset.Fulfillment.Tests.Restore;

/// <summary>Which orders may have been bought by the database a restore replaced (<see cref="RestorePoint.OrderPredates"/>).</summary>
[Trait("Engine", "Neutral")]
public sealed class RestorePointTests
{
    private static readonly DateTimeOffset RestoredAt = new(2026, 12, 7, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_order_created_before_the_restore_predates_it_even_when_its_payment_is_stamped_after()
    {
        Assert.True(RestorePoint.OrderPredates(Guid.CreateVersion7(RestoredAt.AddHours(-2)), RestoredAt.AddHours(1), RestoredAt));
    }

    [Fact]
    public void An_order_created_and_paid_after_the_restore_does_not_predate_it()
    {
        Assert.False(RestorePoint.OrderPredates(Guid.CreateVersion7(RestoredAt.AddMilliseconds(1)), RestoredAt.AddSeconds(1), RestoredAt));
    }

    [Fact]
    public void A_payment_made_before_the_restore_predates_it_whatever_the_id()
    {
        Assert.True(RestorePoint.OrderPredates(Guid.CreateVersion7(RestoredAt.AddHours(1)), RestoredAt, RestoredAt));
    }

    [Fact]
    public void An_order_id_that_carries_no_time_is_taken_to_predate_the_restore()
    {
        Assert.True(RestorePoint.OrderPredates(Guid.NewGuid(), RestoredAt.AddSeconds(1), RestoredAt));
    }

    [Fact]
    public void A_version_7_id_gives_back_its_creation_time_to_the_millisecond()
    {
        var created = RestoredAt.AddMilliseconds(123);
        Assert.Equal(created, RestorePoint.CreatedAt(Guid.CreateVersion7(created)));
        Assert.Null(RestorePoint.CreatedAt(Guid.NewGuid()));
    }
}
