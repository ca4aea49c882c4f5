using PuffinOffset.Api.Checkout;

namespace PuffinOffset.Api.Tests.Checkout;

[Trait("Engine", "Neutral")]
public sealed class CheckoutPriceTests
{
    [Theory]
    [InlineData("0.001")]
    [InlineData("2.5")]
    [InlineData("99999.999")]
    [InlineData("100000")]
    [InlineData("100000.000")]
    public void Accepts_tons_within_the_bounds(string tons) =>
        Assert.Null(CheckoutPrice.ValidateTons(decimal.Parse(tons)));

    [Theory]
    [InlineData("0", "greater than 0")]
    [InlineData("-1", "greater than 0")]
    [InlineData("-0.001", "greater than 0")]
    [InlineData("0.0001", "3 decimal places")]
    [InlineData("1.2345", "3 decimal places")]
    [InlineData("100000.001", "at most 100000")]
    [InlineData("100001", "at most 100000")]
    public void Refuses_tons_outside_the_bounds(string tons, string reason) =>
        Assert.Contains(reason, CheckoutPrice.ValidateTons(decimal.Parse(tons)));

    [Theory]
    [InlineData("0.081", "12.345", 100)] // 99.9945 cents rounds up to exactly the minimum
    [InlineData("2.5", "401.71", 100428)] // 100427.5
    [InlineData("1", "12.345", 1235)] // 1234.5
    [InlineData("1", "10", 1000)] // exact: no rounding
    [InlineData("0.001", "401.71", 41)] // 40.171
    [InlineData("100000", "401.71", 4017100000)]
    public void Amount_is_the_ceiling_of_tons_times_price_in_cents(string tons, string price, long cents) =>
        Assert.Equal(cents, CheckoutPrice.AmountCents(decimal.Parse(tons), decimal.Parse(price)));

    [Theory]
    [InlineData(99, false)]
    [InlineData(100, true)]
    [InlineData(101, true)]
    public void The_minimum_applies_to_the_rounded_total(long cents, bool accepted) =>
        Assert.Equal(accepted, CheckoutPrice.MeetsMinimum(cents));

    [Fact]
    public void A_total_just_under_the_minimum_is_refused() =>
        // 0.08 t × 12.345 = 98.76 → 99 cents.
        Assert.False(CheckoutPrice.MeetsMinimum(CheckoutPrice.AmountCents(0.08m, 12.345m)));
}
