using System.Text.Json.Serialization;

namespace PuffinOffset.Api.Orders;

/// <summary>Why an order needs an operator: one value per sentence of <see cref="OrderAttention"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AttentionKind>))]
public enum AttentionKind
{
    /// <summary>A sentence from before attentions were items of their own (migrated as it was).</summary>
    [JsonStringEnumMemberName("legacy")] Legacy,
    [JsonStringEnumMemberName("payment_for_unfulfillable_order")] PaymentForUnfulfillableOrder,
    [JsonStringEnumMemberName("offset_bought_for_refund")] OffsetBoughtForRefund,
    [JsonStringEnumMemberName("partial_refund")] PartialRefund,
    [JsonStringEnumMemberName("dispute_opened")] DisputeOpened,
    [JsonStringEnumMemberName("dispute_closed")] DisputeClosed,
    [JsonStringEnumMemberName("payment_events_before_checkout")] PaymentEventsBeforeCheckout,
    [JsonStringEnumMemberName("duplicate_wren_orders")] DuplicateWrenOrders,
    [JsonStringEnumMemberName("live_payment_dry_run")] LivePaymentDryRun,
}
