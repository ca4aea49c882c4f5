namespace PuffinOffset.Api.Orders;

/// <summary>
/// The order as the frontend sees it (contract "Order view"): anyone holding the link may read it, so what is
/// meant for operators (attention items, the payment's mode) is in <c>AdminOrderView</c> only.
/// </summary>
public sealed record OrderView(
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
    bool Disputed)
{
    public static OrderView From(Order order) => new(
        order.Id, order.CheckoutSessionId, order.Status, order.Tons, order.PortfolioId, order.AmountTotal,
        Order.Currency, order.CustomerEmail, order.WrenOrderId, order.DryRun, order.CreatedAt, order.UpdatedAt,
        order.AmountRefunded, order.Disputed);
}
