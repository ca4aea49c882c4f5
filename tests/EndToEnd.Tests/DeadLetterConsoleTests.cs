using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.Playwright;
using PuffinOffset.EndToEnd.Tests.Support;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.TestSupport;
using static Microsoft.Playwright.Assertions;

namespace PuffinOffset.EndToEnd.Tests;

/// <summary>
/// A PaymentCompleted that Fulfillment's consumer gave up on waits in <c>payment-completed_error</c>; an operator
/// sees it at <c>/admin</c> with the exception, moves it back in one action, and the order is fulfilled once.
/// </summary>
public sealed class DeadLetterConsoleTests : IAsyncLifetime
{
    private const string Failure = "The fulfilment database did not answer in time.";

    private PuffinSystem _shop = null!;

    public async Task InitializeAsync() => _shop = await PuffinSystem.StartAsync();

    public async Task DisposeAsync() => await _shop.DisposeAsync();

    [Fact]
    public async Task An_operator_moves_a_dead_letter_back_from_the_console_and_the_order_is_fulfilled_once()
    {
        await _shop.StopFulfillmentAsync();
        var session = await _shop.CreateSessionAsync(2m);
        await FaultPaymentCompletedAsync(async () =>
        {
            using var webhook = await _shop.DeliverAsync(StripeEventFixture.CompletedPaid, session);
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        });
        await _shop.StartFulfillmentAsync();

        await using var chromium = await HeadlessChromium.LaunchAsync("dead-letters");
        var page = chromium.Page;
        await page.GotoAsync(new Uri(_shop.Api.BaseAddress, "/admin").ToString());
        await page.FillAsync("#key", PuffinSystem.AdminKey);
        await page.ClickAsync("#sign-in-button");
        await Expect(page.Locator("#dead-letters-rows tr")).ToHaveCountAsync(1);
        var row = page.Locator("#dead-letters-rows tr");
        await Expect(row).ToContainTextAsync("payment-completed_error");
        await Expect(row).ToContainTextAsync("PaymentCompleted · order …" + session.OrderId.ToString()[^12..]);
        await Expect(row).ToContainTextAsync("System.TimeoutException" + Failure);
        await page.Locator("#dead-letters-table").ScrollIntoViewIfNeededAsync();
        await chromium.ScreenshotAsync("dead-letters");

        await page.ClickAsync("#move-back-payment-completed_error");
        await page.FillAsync("#dialog-note", "Fulfillment's database is back");
        await chromium.ScreenshotAsync("move-back-dialog", fullPage: false);
        await page.ClickAsync("#dialog-confirm");
        await Expect(page.Locator("#notice")).ToContainTextAsync("1 of 1 message moved back to payment-completed.");
        await Expect(page.Locator("#dead-letters-empty")).ToBeVisibleAsync();

        await Eventually.ValueAsync(async () => await _shop.ApiClient.GetFromJsonAsync<JsonElement>($"/api/orders/{session.OrderId}"),
            order => order.GetProperty("status").GetString() == "fulfilled", TimeSpan.FromSeconds(60), "the order is fulfilled");
        Assert.Single(_shop.Wren.State.Orders);
        var detail = await _shop.AdminClient.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{session.OrderId}");
        var entry = Assert.Single(detail.GetProperty("history").EnumerateArray());
        Assert.Equal(("dead_letter_moved_back", "admin"), (entry.GetProperty("kind").GetString(), entry.GetProperty("requestedBy").GetString()));
        Assert.EndsWith("Fulfillment's database is back", entry.GetProperty("note").GetString());
    }

    /// <summary>
    /// Stands in for Fulfillment's consumer after its retries are spent: MassTransit moves the PaymentCompleted that
    /// <paramref name="pay"/> causes to <c>payment-completed_error</c>, with the fault headers it always writes.
    /// </summary>
    private async Task FaultPaymentCompletedAsync(Func<Task> pay)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(_shop.BrokerUri));
            rabbit.ReceiveEndpoint("payment-completed", endpoint => endpoint.Handler<PaymentCompleted>(_ => throw new TimeoutException(Failure)));
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(timeout.Token);
        try
        {
            await pay();
            var broker = await RabbitMqBroker.Shared;
            await Eventually.TrueAsync(async () => await broker.QueueDepthAsync(_shop.VirtualHost, "payment-completed_error") == 1,
                TimeSpan.FromSeconds(30), "the PaymentCompleted faults into payment-completed_error");
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
