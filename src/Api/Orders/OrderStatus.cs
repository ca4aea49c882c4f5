using System.Text.Json.Serialization;

namespace PuffinOffset.Api.Orders;

/// <summary>Where an order is in its life; serialised as the contract's snake_case names.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OrderStatus>))]
public enum OrderStatus
{
    [JsonStringEnumMemberName("pending")] Pending,
    [JsonStringEnumMemberName("awaiting_payment")] AwaitingPayment,
    [JsonStringEnumMemberName("paid")] Paid,
    [JsonStringEnumMemberName("fulfilled")] Fulfilled,
    [JsonStringEnumMemberName("fulfillment_failed")] FulfillmentFailed,
    [JsonStringEnumMemberName("payment_failed")] PaymentFailed,
    [JsonStringEnumMemberName("expired")] Expired,
    [JsonStringEnumMemberName("refunded")] Refunded,
}
