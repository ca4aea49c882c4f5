using System.Net;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Messaging;

public sealed class OutboxDeliveryTests : ApiTestBase
{
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(60);

    // The first Api "dies" after commit and before publish: its dispatcher never runs.
    protected override void Configure(Dictionary<string, string?> settings) => settings["Outbox:DispatcherEnabled"] = "false";

    [Fact]
    public async Task A_payment_committed_by_a_process_that_died_before_publishing_is_published_once_after_restart()
    {
        var created = await CreateOrderAsync();
        using (var response = await PostSignedWebhookAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var row = await Api.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync());
        Assert.Null(row.DispatchedAt);
        Client.Dispose();
        await Api.DisposeAsync();

        await using var fulfillment = await PaymentCompletedListener.StartAsync(BrokerUri);
        Api = await StartApiAsync(settings =>
        {
            settings["Outbox:DispatcherEnabled"] = "true";
            // A confirm slower than the publish timeout is published again (at least once, by design: the consumer's
            // inbox drops the copy); this test counts copies at the broker, so a loaded machine must not time out.
            settings["Outbox:PublishTimeout"] = "00:00:30";
        });
        Client = Api.CreateClient();

        await Eventually.TrueAsync(async () => await Api.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.DispatchedAt != null)), Delivery, "the restarted Api publishes the row");
        await Eventually.TrueAsync(() => !fulfillment.Received.IsEmpty, Delivery, "the message reaches the broker's consumer");
        var (messageId, message) = Assert.Single(fulfillment.Received);
        Assert.Equal(row.MessageId, messageId);
        Assert.Equal(created.OrderId, message.OrderId);
    }
}

public sealed class BrokerOutageTests : ApiTestBase
{
    private RabbitMqBroker _broker = null!;

    public override async Task InitializeAsync()
    {
        _broker = await RabbitMqBroker.StartAsync("api-outage");
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _broker.DisposeAsync();
    }

    protected override void Configure(Dictionary<string, string?> settings) => settings["ConnectionStrings:messaging"] = _broker.ConnectionString();

    [Fact]
    public async Task With_the_broker_down_the_webhook_still_succeeds_and_the_message_goes_out_when_it_returns()
    {
        await using var fulfillment = await PaymentCompletedListener.StartAsync(_broker.ConnectionString());
        var created = await CreateOrderAsync();
        await _broker.StopAsync();

        using (var response = await PostSignedWebhookAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Null((await Api.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync())).DispatchedAt);

        await _broker.RestartAsync();

        await Eventually.TrueAsync(() => !fulfillment.Received.IsEmpty, TimeSpan.FromSeconds(120), "the message is delivered after the broker returns");
        await Eventually.TrueAsync(async () => await Api.WithDbAsync(db => db.OutboxMessages.AnyAsync(m => m.DispatchedAt != null)));
        var (_, message) = Assert.Single(fulfillment.Received);
        Assert.Equal(created.OrderId, message.OrderId);
    }
}
