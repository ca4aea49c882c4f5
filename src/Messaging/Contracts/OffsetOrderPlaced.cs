namespace PuffinOffset.Messaging.Contracts;

/// <summary>
/// Fulfillment → Api: Wren accepted the offset order (<c>WrenOrderId</c> is null on a dry run).
/// <c>DuplicateWrenOrderIds</c> lists further Wren orders found with this order's note (empty normally): the
/// Api flags the order for an operator.
/// </summary>
public sealed record OffsetOrderPlaced(
    Guid OrderId,
    string? WrenOrderId,
    decimal Tons,
    int PortfolioId,
    long AmountCharged,
    bool DryRun,
    DateTimeOffset PlacedAt,
    IReadOnlyList<string>? DuplicateWrenOrderIds = null);
