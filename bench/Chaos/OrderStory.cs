using System.Collections.Concurrent;

namespace PuffinOffset.Chaos;

/// <summary>What a customer (and the merchant, and the bank) will do with one order; drawn at random, weighted.</summary>
public enum Plan
{
    PayByCard,
    PayThenRefundInFull,
    PayThenRefundHalf,
    PayThenRefundInTwoHalves,
    PayThenDispute,
    DelayedPaymentSucceeds,
    DelayedPaymentFails,
    DelayedPaymentSucceedsThenRefund,
    Expire,
    Abandon,
}

/// <summary>One order of the soak: its plan and every step taken, with the time each was done.</summary>
public sealed class OrderStory(Guid orderId, string sessionId, Plan plan)
{
    private readonly ConcurrentQueue<(TimeSpan At, string What)> _steps = new();

    public Guid OrderId { get; } = orderId;
    public string SessionId { get; } = sessionId;
    public Plan Plan { get; } = plan;

    /// <summary>When Stripe refunded the payment in full (the merchant's click was answered), if it did.</summary>
    public TimeSpan? RefundedInFullAt { get; set; }

    public IReadOnlyList<(TimeSpan At, string What)> Steps => [.. _steps];

    public void Step(TimeSpan at, string what) => _steps.Enqueue((at, what));

    public override string ToString() => $"{Plan}: {string.Join("; ", Steps.Select(s => $"{SoakLog.Format(s.At)} {s.What}"))}";
}
