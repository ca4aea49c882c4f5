using System.Collections.Frozen;
using System.Text.Json;

namespace PuffinOffset.Api.Orders;

/// <summary>The contract's snake_case status names (as the order view shows them), both ways.</summary>
public static class OrderStatusNames
{
    private static readonly FrozenDictionary<OrderStatus, string> Names = Enum.GetValues<OrderStatus>()
        .ToFrozenDictionary(s => s, s => JsonSerializer.Serialize(s).Trim('"'));

    private static readonly FrozenDictionary<string, OrderStatus> ByName = Names.ToFrozenDictionary(p => p.Value, p => p.Key);

    public static string Of(OrderStatus status) => Names[status];

    public static bool TryParse(string name, out OrderStatus status) => ByName.TryGetValue(name, out status);
}
