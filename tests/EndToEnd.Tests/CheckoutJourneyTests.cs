using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PuffinOffset.EndToEnd.Tests.Support;
using PuffinOffset.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace PuffinOffset.EndToEnd.Tests;

/// <summary>
/// A person buys offsets through the storefront and the simulated Stripe checkout in headless Chromium;
/// the order travels through the real Api, RabbitMQ and Fulfillment, and the success page follows it live.
/// </summary>
public sealed partial class CheckoutJourneyTests : IAsyncLifetime
{
    private static readonly LocatorAssertionsToHaveTextOptions Patiently = new() { Timeout = 60_000 };

    // An assertion polls the address; page.WaitForURLAsync reads it once and then waits for a navigation event, so a
    // navigation that commits between the two is missed and the wait times out on a page already there.
    private static readonly PageAssertionsToHaveURLOptions Navigation = new() { Timeout = 60_000 };

    private PuffinSystem _shop = null!;

    public async Task InitializeAsync() => _shop = await PuffinSystem.StartAsync();

    public async Task DisposeAsync() => await _shop.DisposeAsync();

    [Fact]
    public async Task Paying_by_card_takes_the_order_to_fulfilled_with_its_Wren_order_on_the_success_page()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync("card-payment");
        var page = chromium.Page;

        await FillStorefrontAsync(page, portfolio: "21", tons: "2.5", email: "captain@example.com");
        await chromium.ScreenshotAsync("storefront");
        await page.ClickAsync("#buy");

        await Expect(page).ToHaveURLAsync(CheckoutPage(), Navigation);
        await Expect(page.Locator("#amount")).ToHaveTextAsync("$1,004.28"); // ceil(2.5 × 401.71 × 100) cents
        await Expect(page.Locator("#email")).ToHaveValueAsync("captain@example.com");
        await chromium.ScreenshotAsync("hosted-checkout");
        await page.ClickAsync("#pay-card");

        await Expect(page).ToHaveURLAsync(SuccessPage(), Navigation);
        await chromium.ScreenshotAsync("success-following");
        await Expect(page.Locator("#status")).ToHaveTextAsync("fulfilled", Patiently);
        var order = await OrderAsync(page);
        await Expect(page.Locator("#wren-order")).ToHaveTextAsync(order.WrenOrderId!);
        await chromium.ScreenshotAsync("success-fulfilled");

        Assert.Equal(100428, order.AmountTotal);
        Assert.False(order.DryRun);
        Assert.Equal(["checkout.session.completed"], _shop.StripeEvents.Events.Select(e => e.Type));
        var wrenOrder = Assert.Single(_shop.Wren.State.Orders);
        Assert.Equal((order.WrenOrderId, 2.5m), (wrenOrder.Id, wrenOrder.Tons));
        Assert.Contains(order.OrderId.ToString(), wrenOrder.Note);
        Assert.Empty(chromium.NotFound); // the storefront, hosted checkout and success page, their icon included
    }

    [Fact]
    public async Task A_delayed_payment_is_fulfilled_once_after_it_is_confirmed_even_with_every_webhook_sent_twice()
    {
        _shop.StripeOptions.DeliverTwice = true; // every webhook twice: the Api must act once
        await using var chromium = await HeadlessChromium.LaunchAsync("delayed-payment");
        var page = chromium.Page;

        await FillStorefrontAsync(page, portfolio: "7", tons: "10", email: "");
        await page.ClickAsync("#buy");
        await Expect(page).ToHaveURLAsync(CheckoutPage(), Navigation);
        await page.FillAsync("#email", "navigator@example.com");
        await page.ClickAsync("#pay-delayed");

        await Expect(page).ToHaveURLAsync(SuccessPage(), Navigation);
        await Expect(page.Locator("#status")).ToHaveTextAsync("awaiting_payment", Patiently);
        await chromium.ScreenshotAsync("success-awaiting-payment");
        var sessionId = SessionId(page.Url);

        await page.GotoAsync(new Uri(_shop.StorefrontUrl, "/c/pending").ToString());
        await chromium.ScreenshotAsync("pending-payments");
        await page.ClickAsync($"#confirm-{sessionId}");

        await Expect(page).ToHaveURLAsync(SuccessPage(), Navigation);
        await Expect(page.Locator("#status")).ToHaveTextAsync("fulfilled", Patiently);
        await chromium.ScreenshotAsync("success-fulfilled");
        Assert.Equal(["checkout.session.completed", "checkout.session.async_payment_succeeded"], _shop.StripeEvents.Events.Select(e => e.Type));
        Assert.Equal(4, _shop.StripeEvents.Attempts.Count(a => a.Succeeded)); // two events, each delivered twice
        var order = await OrderAsync(page);
        Assert.Equal("navigator@example.com", order.CustomerEmail);
        Assert.Equal(order.WrenOrderId, Assert.Single(_shop.Wren.State.Orders).Id);
    }

    [Fact]
    public async Task Cancelling_the_checkout_returns_to_the_shop_with_nothing_charged()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync("cancel");
        var page = chromium.Page;

        await FillStorefrontAsync(page, portfolio: "21", tons: "1", email: "captain@example.com");
        await page.ClickAsync("#buy");
        await Expect(page).ToHaveURLAsync(CheckoutPage(), Navigation);
        await page.ClickAsync("#cancel");

        await Expect(page).ToHaveURLAsync(new Regex("/checkout/cancel$"), Navigation);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Checkout cancelled");
        await chromium.ScreenshotAsync("cancelled");
        Assert.Empty(_shop.StripeEvents.Events);
    }

    [Fact]
    public async Task A_checkout_left_to_expire_shows_the_order_expired()
    {
        await using var chromium = await HeadlessChromium.LaunchAsync("expired");
        var page = chromium.Page;

        await FillStorefrontAsync(page, portfolio: "7", tons: "20", email: "captain@example.com");
        await page.ClickAsync("#buy");
        await Expect(page).ToHaveURLAsync(CheckoutPage(), Navigation);
        await page.ClickAsync("#expire");

        await Expect(page).ToHaveURLAsync(SuccessPage(), Navigation);
        await Expect(page.Locator("#status")).ToHaveTextAsync("expired", Patiently);
        await chromium.ScreenshotAsync("success-expired");
        Assert.Equal(["checkout.session.expired"], _shop.StripeEvents.Events.Select(e => e.Type));
    }

    private async Task FillStorefrontAsync(IPage page, string portfolio, string tons, string email)
    {
        await page.GotoAsync(_shop.StorefrontUrl.ToString());
        // The options arrive from the Api over CORS.
        await Expect(page.Locator($"#portfolio option[value='{portfolio}']")).ToHaveCountAsync(1);
        await page.SelectOptionAsync("#portfolio", portfolio);
        await page.FillAsync("#tons", tons);
        await page.FillAsync("#email", email);
        await Expect(page.Locator("#estimate")).Not.ToHaveTextAsync("—");
    }

    private async Task<OrderView> OrderAsync(IPage page)
    {
        using var http = new HttpClient { BaseAddress = _shop.Api.BaseAddress };
        return (await http.GetFromJsonAsync<OrderView>($"/api/checkout/session/{SessionId(page.Url)}"))!;
    }

    private static string SessionId(string url) => SessionIdPattern().Match(url).Groups[1].Value;

    private Regex CheckoutPage() => new($"^{Regex.Escape(_shop.StorefrontUrl.ToString().TrimEnd('/'))}/c/pay/cs_test_");

    private Regex SuccessPage() => new($"^{Regex.Escape(_shop.StorefrontUrl.ToString().TrimEnd('/'))}/checkout/success\\?session_id=cs_test_");

    [GeneratedRegex("session_id=(cs_test_[A-Za-z0-9]+)")]
    private static partial Regex SessionIdPattern();

    private sealed record OrderView(Guid OrderId, string SessionId, string Status, decimal Tons, long AmountTotal, string? CustomerEmail, string? WrenOrderId, bool? DryRun);
}
