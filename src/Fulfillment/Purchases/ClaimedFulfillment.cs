namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// A fulfilment as the worker's claim committed it, handed to the <see cref="FulfillmentProcessor"/>: its lease
/// is this replica's and, when <paramref name="AttemptBegun"/>, the same commit moved it to Attempting for a
/// plain new attempt, so the processor sends the POST at once. An Attempting row the claim found (not begun by it)
/// is an interrupted attempt: its outcome is unknown. <paramref name="RefundAnswerAsOf"/>: when the Api's "not refunded"
/// that let the claim begin it was asked (null: it was not asked), from which the POST's own refund check counts.
/// </summary>
public sealed record ClaimedFulfillment(OffsetFulfillment Fulfillment, bool AttemptBegun, DateTimeOffset? RefundAnswerAsOf = null);
