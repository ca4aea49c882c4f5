using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>
/// Two Api replicas record a payment and its full refund at the same moment: one replica's transaction has applied
/// the Checkout event (no earlier refund found, the order paid) and waits to commit, while the other records the
/// refund (no order found for its payment intent). On PostgreSQL each transaction decided on a row the other was
/// writing; whichever commits second must see the first, or Stripe has refunded an order we go on to fulfil. On
/// SQLite the file's write lock puts one wholly after the other.
/// </summary>
public sealed class CrossingReplicaWebhookTests : ApiTestBase
{
    // The outbox rows are what the test reads; publishing them is covered elsewhere.
    protected override void Configure(Dictionary<string, string?> settings) => settings["Outbox:DispatcherEnabled"] = "false";

    [Fact]
    public async Task A_full_refund_recorded_while_another_replica_commits_its_payment_leaves_the_order_refunded()
    {
        var created = await CreateOrderAsync();
        var control = new WriterControl();
        await using var replica = await Api.StartAnotherAsync(services =>
        {
            services.AddSingleton<IInterceptor>(control);
            services.AddSingleton(_ => new SqliteFileLock(Folder.File("second-replica.db")));
        });
        control.Attach(replica.Services.GetRequiredService<StripeEventWriter>());
        using var replicaClient = replica.CreateClient();
        using var client = Api.CreateClient();

        control.HoldNextCommit();
        var payment = PostAsync(replicaClient, StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId));
        await control.CommitHeld.WaitAsync(TimeSpan.FromSeconds(60));
        var refund = PostAsync(client, StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull));
        if (TestDatabase.IsPostgres)
        {
            // The refund's transaction reads no order for its payment intent and commits while the payment's is open.
            using var first = await refund.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(WebhookOutcome.UnknownOrder, await OutcomeAsync("charge.refunded"));
        }

        control.ReleaseCommit();
        using var paid = await payment;
        using var refunded = await refund;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (paid.StatusCode, refunded.StatusCode));
        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, 2500L, StripeEventFixture.PaymentIntentId, null),
            (order.Status, order.AmountRefunded, order.PaymentIntentId, order.OpenAttention()));
        // Fulfillment hears only of the refund: no payment is left to publish.
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
    }

    private Task<string> OutcomeAsync(string type) =>
        Api.WithDbAsync(db => db.StripeEvents.Where(e => e.Type == type).Select(e => e.Outcome).SingleAsync());

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, ApiHost.WebhookSecret));
        return client.SendAsync(request);
    }
}
