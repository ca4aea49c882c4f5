namespace PuffinOffset.Api.Orders;

/// <summary>The sentences an operator reads in <see cref="Order.Attention"/>, in one place.</summary>
public static class OrderAttention
{
    public const string PaymentForUnfulfillableOrder = "payment taken for an order that will not be fulfilled: refund or replay";

    public static string OffsetBoughtForRefund(string? wrenOrderId) =>
        $"offset {wrenOrderId ?? "(dry run)"} bought for a refunded payment";

    public static string PartialRefund(long amountRefunded, long amountTotal) =>
        $"partially refunded ({amountRefunded} of {amountTotal} cents): the offset is for the whole order";

    public static string DisputeOpened(string? disputeId, string? reason) =>
        $"payment disputed ({disputeId}, reason {reason ?? "unknown"}): answer it in Stripe's dashboard";

    public static string DisputeClosed(string? disputeId, string? status) =>
        $"dispute {disputeId} closed: {status ?? "unknown"}";

    public static string PaymentEventsBeforeCheckout(IEnumerable<string> eventTypes) =>
        $"Stripe sent {string.Join(", ", eventTypes)} for this payment before its Checkout event: check the payment in Stripe";
}
