namespace PuffinOffset.Api.Portfolios;

/// <summary>A Wren portfolio a customer can buy, with its USD price per tonne.</summary>
public sealed record Portfolio(int Id, string Name, string? Description, decimal PricePerTon, string Currency);
