using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Tests.Support;

public static class OrderAttentionText
{
    /// <summary>The sentences of the order's open attention items, oldest first, joined by "; "; null when none is open.</summary>
    public static string? OpenAttention(this Order order) =>
        order.Attention.Where(item => item.IsOpen).OrderBy(item => item.RaisedAt).ThenBy(item => item.Id).Select(item => item.Text).ToList() is { Count: > 0 } texts
            ? string.Join("; ", texts)
            : null;
}
