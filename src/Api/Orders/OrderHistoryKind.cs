using System.Text.Json.Serialization;

namespace PuffinOffset.Api.Orders;

[JsonConverter(typeof(JsonStringEnumConverter<OrderHistoryKind>))]
public enum OrderHistoryKind
{
    [JsonStringEnumMemberName("replay_requested")] ReplayRequested,
    [JsonStringEnumMemberName("attention_resolved")] AttentionResolved,
    [JsonStringEnumMemberName("dead_letter_moved_back")] DeadLetterMovedBack,
    [JsonStringEnumMemberName("dead_letter_discarded")] DeadLetterDiscarded,
    [JsonStringEnumMemberName("customer_data_erased")] CustomerDataErased,
}
