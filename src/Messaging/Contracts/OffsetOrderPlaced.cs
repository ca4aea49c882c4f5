namespace PuffinOffset.Messaging.Contracts;

/// <summary>Fulfillment → Api: Wren accepted the offset order (<c>WrenOrderId</c> is null on a dry run).</summary>
public sealed record OffsetOrderPlaced(
    Guid OrderId,
    string? WrenOrderId,
    decimal Tons,
    int PortfolioId,
    long AmountCharged,
    bool DryRun,
    DateTimeOffset PlacedAt);
