using System.Net;
using Stripe;
using PuffinOffset.StripeSandbox.Tests.Support;

namespace PuffinOffset.StripeSandbox.Tests;

/// <summary>An outage strikes every Checkout Sessions call while it lasts, creating and reading alike, and saves nothing.</summary>
public sealed class ApiOutageTests : SandboxTestBase
{
    [Fact]
    public async Task During_an_outage_creating_and_reading_sessions_fail_and_afterwards_both_work_again()
    {
        var before = await Sessions().CreateAsync(CheckoutOptions("order-1", amount: 2500));

        Sandbox.Outage.Begin(TimeSpan.FromMinutes(5), 503);
        var create = await Assert.ThrowsAsync<StripeException>(() => Sessions().CreateAsync(CheckoutOptions("order-2", amount: 2500), new RequestOptions { IdempotencyKey = "k2" }));
        var read = await Assert.ThrowsAsync<StripeException>(() => Sessions().GetAsync(before.Id));
        Assert.Equal((HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable), (create.HttpStatusCode, read.HttpStatusCode));
        Assert.Single(Sandbox.Sessions.All);

        Sandbox.Outage.End();
        Assert.Equal(before.Id, (await Sessions().GetAsync(before.Id)).Id);
        var after = await Sessions().CreateAsync(CheckoutOptions("order-2", amount: 2500), new RequestOptions { IdempotencyKey = "k2" });
        Assert.Equal(2, Sandbox.Sessions.All.Count);
        Assert.NotEqual(before.Id, after.Id);
    }
}
