using System.Net;
using System.Net.Http.Json;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>
/// A healthy system logs no Warning or Error: the dashboard shows an error badge only when something is
/// wrong. The services start as the AppHost starts them (readiness probed from the moment they listen),
/// on a real broker and real SQLite files, and take one purchase from payment to the Wren order.
/// </summary>
public sealed class QuietStartTests
{
    private sealed record OrderStatusView(string Status);

    [Fact]
    public async Task Starting_both_services_and_fulfilling_one_purchase_logs_no_warning_or_error()
    {
        var logs = new LogRecorder(Microsoft.Extensions.Logging.LogLevel.Warning);
        await using (var system = await PuffinSystem.StartAsync(logs: logs))
        {
            var session = await system.CreateSessionAsync(1m);
            using var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session);
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);

            await Eventually.TrueAsync(
                async () => (await system.ApiClient.GetFromJsonAsync<OrderStatusView>($"/api/checkout/session/{session.SessionId}"))!.Status == "fulfilled",
                TimeSpan.FromSeconds(60), "the order is fulfilled");
            Assert.Single(system.Wren.State.Orders);
        }

        Assert.True(logs.Entries.Count == 0,
            "Warnings or errors were logged by a healthy system:\n" + string.Join("\n", logs.Entries));
    }
}
