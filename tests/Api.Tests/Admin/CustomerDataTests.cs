using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Admin;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>An erasure request and finance's CSV export, through the admin API on the engine under test.</summary>
public sealed class CustomerDataTests : AdminTestBase
{
    [Fact]
    public async Task An_erasure_request_removes_the_email_from_every_order_of_that_customer_and_records_it_in_their_history()
    {
        var first = await CreateOrderAsync(email: "Leaving@Example.com");
        var second = await CreateOrderAsync(email: "leaving@example.com");
        var other = await CreateOrderAsync(email: "staying@example.com");

        using var response = await Admin.PostAsJsonAsync("/api/admin/customers/erase",
            new { email = "LEAVING@example.com ", note = "GDPR request #42", requestedBy = "dpo" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<ErasureResult>())!;
        Assert.Equal(2, result.Erased);
        Assert.Equal(new[] { first.OrderId, second.OrderId }.Order(), result.OrderIds.Order());
        foreach (var orderId in result.OrderIds)
        {
            var order = await OrderAsync(orderId);
            Assert.Null(order.CustomerEmail);
            Assert.Equal(OrderStatus.Pending, order.Status);
            var detail = await Admin.GetStringAsync($"/api/admin/orders/{orderId}");
            Assert.DoesNotContain("leaving@", detail, StringComparison.OrdinalIgnoreCase);
            using var json = JsonDocument.Parse(detail);
            var entry = Assert.Single(json.RootElement.GetProperty("history").EnumerateArray());
            Assert.Equal("customer_data_erased", entry.GetProperty("kind").GetString());
            Assert.Equal("GDPR request #42", entry.GetProperty("note").GetString());
            Assert.Equal("admin", entry.GetProperty("requestedBy").GetString()); // the key's name, not the body's "dpo"
        }

        Assert.Equal("staying@example.com", (await OrderAsync(other.OrderId)).CustomerEmail);

        // Asked again: nothing left to erase, and no second history entry.
        using var again = await Admin.PostAsJsonAsync("/api/admin/customers/erase", new { email = "leaving@example.com" });
        Assert.Equal(0, (await again.Content.ReadFromJsonAsync<ErasureResult>())!.Erased);
        Assert.Equal(2, await Api.WithDbAsync(db => db.OrderHistory.CountAsync(e => e.Kind == OrderHistoryKind.CustomerDataErased)));
    }

    [Fact]
    public async Task An_order_erased_before_its_payment_does_not_get_the_email_back_from_stripe()
    {
        var created = await CreateOrderAsync(email: "buyer@example.com");
        using var erase = await Admin.PostAsJsonAsync("/api/admin/customers/erase", new { email = "buyer@example.com" });
        Assert.Equal(HttpStatusCode.OK, erase.StatusCode);

        // The Checkout session (and so its completed event) carries the email the customer typed.
        using var paid = await PostSignedWebhookAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId));
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);

        var order = await OrderAsync(created.OrderId);
        Assert.Equal(OrderStatus.Paid, order.Status);
        Assert.Null(order.CustomerEmail);
    }

    [Fact]
    public async Task An_erasure_request_without_an_email_is_a_validation_problem()
    {
        using var response = await Admin.PostAsJsonAsync("/api/admin/customers/erase", new { note = "no email" });

        await ProblemAssert.IsSafeProblemAsync(response, 400);
    }

    [Fact]
    public async Task The_export_lists_the_orders_created_in_the_range_with_their_payment_and_wren_order()
    {
        var fulfilled = await OrderAsync(OrderStatus.Fulfilled);
        await ArrangeAsync(fulfilled, (order, now) =>
        {
            order.RememberPaymentIntent("pi_export_1");
            order.RecordRefund(500, now);
        });
        await Api.WithDbAsync(db => db.Orders.Where(o => o.Id == fulfilled)
            .ExecuteUpdateAsync(set => set.SetProperty(o => o.WrenOrderId, "=HYPERLINK(\"http://evil.example\",\"x\")").SetProperty(o => o.DryRun, false)));
        var pending = await OrderAsync(OrderStatus.Pending);
        var outside = await OrderAsync(OrderStatus.Paid);
        var lastYear = DateTimeOffset.UtcNow.AddYears(-1);
        await Api.WithDbAsync(db => db.Orders.Where(o => o.Id == outside).ExecuteUpdateAsync(set => set.SetProperty(o => o.CreatedAt, lastYear)));
        var from = DateTimeOffset.UtcNow.AddDays(-1);
        var to = DateTimeOffset.UtcNow.AddDays(1);

        using var response = await Admin.GetAsync($"/api/admin/orders/export?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(OrderExport.Header, lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.DoesNotContain(lines, line => line.StartsWith(outside.ToString(), StringComparison.Ordinal));
        var row = lines.Single(line => line.StartsWith(fulfilled.ToString(), StringComparison.Ordinal));
        var order = await OrderAsync(fulfilled);
        Assert.Contains($",fulfilled,{order.CheckoutSessionId},pi_export_1,1,21,{order.AmountTotal},usd,500,false,", row, StringComparison.Ordinal);
        // A formula from outside never reaches a spreadsheet as one: prefixed with ' and quoted.
        Assert.EndsWith(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",false", row, StringComparison.Ordinal);
        Assert.EndsWith(",usd,0,false,,", lines.Single(line => line.StartsWith(pending.ToString(), StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_export_without_a_valid_range_is_a_validation_problem()
    {
        using var response = await Admin.GetAsync("/api/admin/orders/export?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z");

        await ProblemAssert.IsSafeProblemAsync(response, 400);
    }
}
