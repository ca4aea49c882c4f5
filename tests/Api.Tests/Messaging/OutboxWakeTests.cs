using System.Net;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Messaging;

/// <summary>
/// The webhook writer inserts its outbox rows itself (multi-row inserts, not tracked entities): its commit must still
/// wake the dispatcher, which otherwise finds the rows only at its next poll.
/// </summary>
public sealed class OutboxWakeTests : ApiTestBase
{
    protected override void Configure(Dictionary<string, string?> settings) => settings["Outbox:PollInterval"] = "00:10:00";

    [Fact]
    public async Task A_paid_webhooks_message_is_published_when_its_batch_commits_not_at_the_dispatchers_next_poll()
    {
        await using var fulfillment = await PaymentCompletedListener.StartAsync(BrokerUri);
        var created = await CreateOrderAsync();

        using (var response = await PostSignedWebhookAsync(StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId)))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Generous for a loaded machine, and still far below the ten-minute poll.
        await Eventually.TrueAsync(() => !fulfillment.Received.IsEmpty, TimeSpan.FromSeconds(90), "the commit wakes the dispatcher");
        Assert.Equal(created.OrderId, Assert.Single(fulfillment.Received).Message.OrderId);
    }
}
