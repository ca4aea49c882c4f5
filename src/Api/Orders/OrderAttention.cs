namespace PuffinOffset.Api.Orders;

/// <summary>One reason an order needs an operator: what kind, and the sentence the operator reads.</summary>
public sealed record AttentionReason(AttentionKind Kind, string Text);

/// <summary>The reasons an operator reads in an order's attention items, in one place.</summary>
public static class OrderAttention
{
    public static readonly AttentionReason PaymentForUnfulfillableOrder = new(AttentionKind.PaymentForUnfulfillableOrder,
        "payment taken for an order that will not be fulfilled: refund or replay");

    public static readonly AttentionReason LivePaymentFulfilledByDryRun = new(AttentionKind.LivePaymentDryRun,
        "paid in live mode but fulfilled by a dry run: no offset was bought; buy it at Wren or refund the payment");

    public static AttentionReason OffsetBoughtForRefund(string? wrenOrderId) => new(AttentionKind.OffsetBoughtForRefund,
        $"offset {wrenOrderId ?? "(dry run)"} bought for a refunded payment");

    public static AttentionReason PartialRefund(long amountRefunded, long amountTotal) => new(AttentionKind.PartialRefund,
        $"partially refunded ({amountRefunded} of {amountTotal} cents): the offset is for the whole order");

    public static AttentionReason DisputeOpened(string? disputeId, string? reason) => new(AttentionKind.DisputeOpened,
        $"payment disputed ({disputeId}, reason {reason ?? "unknown"}): answer it in Stripe's dashboard");

    public static AttentionReason DisputeClosed(string? disputeId, string? status) => new(AttentionKind.DisputeClosed,
        $"dispute {disputeId} closed: {status ?? "unknown"}");

    public static AttentionReason PaymentEventsBeforeCheckout(IEnumerable<string> eventTypes) => new(AttentionKind.PaymentEventsBeforeCheckout,
        $"Stripe sent {string.Join(", ", eventTypes)} for this payment before its Checkout event: check the payment in Stripe");

    public static AttentionReason DuplicateWrenOrders(IEnumerable<string> wrenOrderIds) => new(AttentionKind.DuplicateWrenOrders,
        $"two Wren orders for one paid order: {string.Join(", ", wrenOrderIds)}");
}
