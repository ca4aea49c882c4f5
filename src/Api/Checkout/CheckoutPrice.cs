namespace PuffinOffset.Api.Checkout;

/// <summary>
/// The pricing rule, in one place: <c>amountTotal = ceil(tons × pricePerTon × 100)</c> US cents, in
/// decimal arithmetic, with the contract's bounds. Rounding up means we never charge less than Wren costs.
/// </summary>
public static class CheckoutPrice
{
    public const decimal MaxTons = 100_000m;
    public const int MaxTonsDecimals = 3;

    /// <summary>Wren's (and Stripe's) minimum charge, applied to the rounded total.</summary>
    public const long MinimumAmountCents = 100;

    /// <summary>Null when <paramref name="tons"/> is acceptable, else why not.</summary>
    public static string? ValidateTons(decimal tons) => tons switch
    {
        <= 0 => "tons must be greater than 0.",
        > MaxTons => $"tons must be at most {MaxTons:0}.",
        _ when decimal.Round(tons, MaxTonsDecimals) != tons => $"tons may have at most {MaxTonsDecimals} decimal places.",
        _ => null,
    };

    public static long AmountCents(decimal tons, decimal pricePerTon) =>
        (long)decimal.Ceiling(tons * pricePerTon * 100m);

    public static bool MeetsMinimum(long amountCents) => amountCents >= MinimumAmountCents;
}
