using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// The order as an operator sees it: the customer's order view plus what needs an operator, the open attention
/// items oldest first (contract "admin order view").
/// </summary>
public sealed record AdminOrderView(
    Guid OrderId,
    string? SessionId,
    OrderStatus Status,
    decimal Tons,
    int PortfolioId,
    long AmountTotal,
    string Currency,
    string? CustomerEmail,
    string? WrenOrderId,
    bool? DryRun,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    long AmountRefunded,
    bool Disputed,
    bool PaidInLiveMode,
    IReadOnlyList<AttentionItemView> Attention)
{
    public static AdminOrderView From(Order order) => new(
        order.Id, order.CheckoutSessionId, order.Status, order.Tons, order.PortfolioId, order.AmountTotal,
        Order.Currency, order.CustomerEmail, order.WrenOrderId, order.DryRun, order.CreatedAt, order.UpdatedAt,
        order.AmountRefunded, order.Disputed, order.PaidInLiveMode,
        AttentionItemView.Oldest(order.Attention.Where(item => item.IsOpen)));
}

/// <summary>One reason an order needs (or needed) an operator; <c>id</c> is what a resolve names.</summary>
public sealed record AttentionItemView(
    long Id, AttentionKind Kind, string Text, DateTimeOffset RaisedAt, DateTimeOffset? ResolvedAt, string? ResolvedBy, string? Note)
{
    public static AttentionItemView From(OrderAttentionItem item) =>
        new(item.Id, item.Kind, item.Text, item.RaisedAt, item.ResolvedAt, item.ResolvedBy, item.ResolutionNote);

    public static IReadOnlyList<AttentionItemView> Oldest(IEnumerable<OrderAttentionItem> items) =>
        items.OrderBy(item => item.RaisedAt).ThenBy(item => item.Id).Select(From).ToList();
}
