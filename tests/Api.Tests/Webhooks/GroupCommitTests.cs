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
/// Webhooks that arrive together share one transaction (group commit). Each test holds the writer in a first
/// transaction until the others have queued behind it, so they are committed as one batch, and checks that
/// no promise of a single webhook is weakened: durable before 200, one bad event fails alone, once only.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class GroupCommitTests : ApiTestBase
{
    private const string HolderEventId = "evt_HOLDER";

    // These tests read the outbox rows; publishing them is covered by OutboxDeliveryTests.
    protected override void Configure(Dictionary<string, string?> settings) => settings["Outbox:DispatcherEnabled"] = "false";

    [Fact]
    public async Task A_failing_event_inside_a_batch_fails_alone_and_its_neighbours_are_committed()
    {
        var orders = await CreateOrdersAsync(5);
        var bodies = orders.Select(o => StripeEventFixture.For(StripeEventFixture.CompletedPaid, o.SessionId, o.OrderId, $"evt_BATCH{o.OrderId:N}")).ToList();
        var poisoned = StripeEventFixture.EventId(bodies[2]);
        var control = new WriterControl();
        await using var api = await WithWriterControlAsync(control, new FailingEventInterceptor(poisoned));

        var responses = await SendAsOneBatchAsync(api, control, bodies);

        Assert.Equal(HttpStatusCode.InternalServerError, responses[2].StatusCode);
        await ProblemAssert.IsSafeProblemAsync(responses[2], 500);
        Assert.All(responses.Where((_, i) => i != 2), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal([OrderStatus.Paid, OrderStatus.Paid, OrderStatus.Pending, OrderStatus.Paid, OrderStatus.Paid], await StatusesAsync(orders));
        Assert.Equal(4, await OutboxCountAsync());
        Assert.False(await IsRecordedAsync(poisoned));
    }

    [Fact]
    public async Task A_batch_holding_an_event_and_its_redelivery_applies_it_once_and_answers_both_200()
    {
        var orders = await CreateOrdersAsync(2);
        var twice = StripeEventFixture.For(StripeEventFixture.CompletedPaid, orders[0].SessionId, orders[0].OrderId);
        var other = StripeEventFixture.For(StripeEventFixture.CompletedPaid, orders[1].SessionId, orders[1].OrderId, "evt_BATCHother");
        var control = new WriterControl();
        await using var api = await WithWriterControlAsync(control);

        var responses = await SendAsOneBatchAsync(api, control, [twice, other, twice]);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(2, await OutboxCountAsync());
        Assert.Equal(2, await RecordedEventsAsync());
        Assert.Equal([OrderStatus.Paid, OrderStatus.Paid], await StatusesAsync(orders));
    }

    [Fact]
    public async Task A_batch_whose_commit_never_happens_records_nothing_and_stripes_retry_applies_each_event_once()
    {
        var orders = await CreateOrdersAsync(3);
        var bodies = orders.Select(o => StripeEventFixture.For(StripeEventFixture.CompletedPaid, o.SessionId, o.OrderId, $"evt_CRASH{o.OrderId:N}")).ToList();
        var before = await DatabaseSnapshotAsync();
        var control = new WriterControl();
        await using var api = await WithWriterControlAsync(control);

        var failed = await SendAsOneBatchAsync(api, control, bodies, failCommits: true);

        Assert.All(failed, r => Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode));
        Assert.Equal(before, await DatabaseSnapshotAsync());

        // The connection is back (or the process restarted): Stripe redelivers each event.
        control.FailCommits = false;
        using var client = api.CreateClient();
        foreach (var body in bodies)
        {
            using var retried = await PostAsync(client, body);
            Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        }

        Assert.Equal([OrderStatus.Paid, OrderStatus.Paid, OrderStatus.Paid], await StatusesAsync(orders));
        Assert.Equal(3, await OutboxCountAsync());
        Assert.Equal(3, await RecordedEventsAsync());
    }

    [Fact]
    public async Task A_refund_behind_its_payment_in_one_batch_finds_the_order_by_the_payment_intent_the_batch_just_gave_it()
    {
        var created = await CreateOrderAsync();
        var control = new WriterControl();
        await using var api = await WithWriterControlAsync(control);

        var responses = await SendAsOneBatchAsync(api, control,
            [StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId), StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull)],
            inOrder: true);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, StripeEventFixture.PaymentIntentId), (order.Status, order.PaymentIntentId));
        Assert.Equal(["applied", "applied"], await Api.WithDbAsync(db => db.StripeEvents.Where(e => e.EventId != HolderEventId)
            .OrderBy(e => e.Type).Select(e => e.Outcome).ToListAsync()));
        // The refund withdrew the payment the same batch had just written: Fulfillment hears of the refund only.
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
    }

    [Fact]
    public async Task A_full_refund_ahead_of_its_payment_in_one_batch_makes_the_order_refunded_and_queues_no_payment()
    {
        var created = await CreateOrderAsync();
        var control = new WriterControl();
        await using var api = await WithWriterControlAsync(control);

        var responses = await SendAsOneBatchAsync(api, control,
            [StripeEventFixture.Raw(StripeEventFixture.ChargeRefundedFull), StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId)],
            inOrder: true);

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Refunded, StripeEventFixture.PaymentIntentId, null), (order.Status, order.PaymentIntentId, order.OpenAttention()));
        var refund = await Api.WithDbAsync(db => db.StripeEvents.SingleAsync(e => e.Type == "charge.refunded"));
        Assert.Equal(("unknown_order", true), (refund.Outcome, refund.FullRefund));
        Assert.Equal((0, 1), (await OutboxCountAsync(), await OutboxCountAsync("OrderRefunded")));
    }

    [Fact]
    public async Task A_redelivery_of_an_event_just_committed_is_answered_without_a_transaction()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        var control = new WriterControl();
        await using var api = await WithWriterControlAsync(control);
        using var client = api.CreateClient();
        using var first = await PostAsync(client, body);
        var afterFirst = control.TransactionsStarted;

        using var again = await PostAsync(client, body);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, again.StatusCode));
        Assert.Equal(afterFirst, control.TransactionsStarted);
        Assert.Equal(1, await OutboxCountAsync());
    }

    /// <summary>
    /// A first webhook (for an unknown session: it changes no order) holds the writer's transaction open; the
    /// bodies queue behind it and are then taken into the next transaction together, whose commit fails
    /// when <paramref name="failCommits"/> (as does every later one until the test says otherwise). With
    /// <paramref name="inOrder"/> each body is queued before the next is sent, so the batch applies them in that order.
    /// </summary>
    private async Task<HttpResponseMessage[]> SendAsOneBatchAsync(ApiHost api, WriterControl control, IReadOnlyList<string> bodies,
        bool failCommits = false, bool inOrder = false)
    {
        using var client = api.CreateClient();
        var writer = api.Services.GetRequiredService<StripeEventWriter>();
        control.HoldNext();
        var holder = PostAsync(client, StripeEventFixture.For(StripeEventFixture.CompletedPaid, "cs_test_a1HOLDER", Guid.NewGuid(), HolderEventId));
        await control.Held.WaitAsync(TimeSpan.FromSeconds(60));
        var sent = new List<Task<HttpResponseMessage>>();
        foreach (var body in bodies)
        {
            sent.Add(PostAsync(client, body));
            if (inOrder)
            {
                await Eventually.TrueAsync(() => writer.Waiting == sent.Count, because: $"webhook {sent.Count} queued behind the held transaction");
            }
        }

        await Eventually.TrueAsync(() => writer.Waiting == bodies.Count, because: "every webhook queued behind the held transaction");
        control.FailCommits = failCommits;
        control.Release();
        using var held = await holder;
        return await Task.WhenAll(sent);
    }

    /// <summary>
    /// A second Api on the test's database whose writer transactions the test controls (held and counted through
    /// the writer's seam, commits failed through an interceptor). It shares the file on
    /// purpose, next to the running Api, so it takes a lock of its own instead of the one-process-per-file lock.
    /// </summary>
    private async Task<ApiHost> WithWriterControlAsync(WriterControl control, params IInterceptor[] more)
    {
        var api = await Api.StartAnotherAsync(services =>
        {
            services.AddSingleton<IInterceptor>(control);
            foreach (var interceptor in more)
            {
                services.AddSingleton(interceptor);
            }

            services.AddSingleton(_ => new SqliteFileLock(Folder.File("group-commit-api.db")));
        });
        control.Attach(api.Services.GetRequiredService<StripeEventWriter>());
        return api;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, ApiHost.WebhookSecret));
        return client.SendAsync(request);
    }

    private async Task<List<CreatedOrder>> CreateOrdersAsync(int count)
    {
        var orders = new List<CreatedOrder>();
        for (var i = 0; i < count; i++)
        {
            orders.Add(await CreateOrderAsync());
        }

        return orders;
    }

    private async Task<List<OrderStatus>> StatusesAsync(IEnumerable<CreatedOrder> orders)
    {
        var statuses = new List<OrderStatus>();
        foreach (var order in orders)
        {
            statuses.Add((await OrderAsync(order.OrderId)).Status);
        }

        return statuses;
    }

    /// <summary>Stripe events recorded, not counting the one that held the writer.</summary>
    private Task<int> RecordedEventsAsync() => Api.WithDbAsync(db => db.StripeEvents.CountAsync(e => e.EventId != HolderEventId));

    private Task<bool> IsRecordedAsync(string eventId) => Api.WithDbAsync(db => db.StripeEvents.AnyAsync(e => e.EventId == eventId));
}
