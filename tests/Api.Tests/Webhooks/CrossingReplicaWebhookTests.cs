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
/// its event and waits to commit while the other records the other event. The Checkout event found no earlier refund
/// and the refund found no order with its payment intent: on PostgreSQL each decided on a row the other was writing,
/// and whichever commits second must see the first, or Stripe has refunded an order we go on to fulfil. Both orders of
/// commit are tried. On SQLite the file's write lock puts one wholly after the other.
/// </summary>
public sealed class CrossingReplicaWebhookTests : ApiTestBase
{
    // The outbox rows are what the test reads; publishing them is covered elsewhere.
    protected override void Configure(Dictionary<string, string?> settings) => settings["Outbox:DispatcherEnabled"] = "false";

    [Fact]
    public Task A_full_refund_recorded_while_another_replica_commits_its_payment_leaves_the_order_refunded() =>
        CrossAsync(holdThePayment: true);

    [Fact]
    public Task A_payment_recorded_while_another_replica_commits_its_full_refund_leaves_the_order_refunded() =>
        CrossAsync(holdThePayment: false);

    /// <summary>
    /// The second replica takes one of the two events and is held with it written and not committed; the first
    /// replica records the other event meanwhile (on PostgreSQL it commits; on SQLite it waits for the file's lock).
    /// </summary>
    private async Task CrossAsync(bool holdThePayment)
    {
        var created = await CreateOrderAsync();
        var payment = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        var refund = StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull);
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
        var held = PostAsync(replicaClient, holdThePayment ? payment : refund);
        await control.CommitHeld.WaitAsync(TimeSpan.FromSeconds(60));
        var crossing = PostAsync(client, holdThePayment ? refund : payment);
        if (TestDatabase.IsPostgres)
        {
            // Each decided on what it did not find: the refund no order with its payment intent, the payment no
            // refund recorded before it. The crossing one commits while the held one is open.
            using var first = await crossing.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            Assert.Equal(holdThePayment ? WebhookOutcome.UnknownOrder : WebhookOutcome.Applied, await OutcomeAsync(holdThePayment ? "charge.refunded" : "checkout.session.completed"));
        }

        control.ReleaseCommit();
        using var heldResponse = await held;
        using var crossingResponse = await crossing;

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (heldResponse.StatusCode, crossingResponse.StatusCode));
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
