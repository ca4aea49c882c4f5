using System.Net.Http.Json;
using PuffinOffset.Pipeline.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>
/// Records the worked incident of docs/operations.md ("Worked incident: the database stops"): both services
/// on PostgreSQL, one offset bought, then the PostgreSQL server stopped under them. Writes each service's
/// /metrics before, during and after the outage, the Warning and Error log lines, and what a checkout and
/// a webhook answered meanwhile, to the folder in <c>PUFFIN_RECORD_INCIDENT</c>; the series recorded during
/// the outage are the input of deploy/prometheus/incidents/database-stops.test.yml. It stops the shared test
/// PostgreSQL, so it does nothing unless asked, and is run alone:
/// <c>PUFFIN_TEST_DATABASE=postgres PUFFIN_RECORD_INCIDENT=/tmp/incident dotnet test tests/Pipeline.Tests -c Release --filter FullyQualifiedName~DatabaseIncidentRecording</c>.
/// </summary>
[Collection(RunsAlone.Name)] // stops the shared PostgreSQL
public sealed class DatabaseIncidentRecording
{
    public const string FolderVariable = "PUFFIN_RECORD_INCIDENT";

    private sealed record OrderStatusView(string Status);

    [Fact]
    public async Task Records_what_the_services_show_when_PostgreSQL_stops_under_them()
    {
        if (Environment.GetEnvironmentVariable(FolderVariable) is not { Length: > 0 } folder || !TestDatabase.IsPostgres)
        {
            return;
        }

        Directory.CreateDirectory(folder);
        var logs = new LogRecorder(Microsoft.Extensions.Logging.LogLevel.Warning);
        await using var system = await PuffinSystem.StartAsync(logs: logs);
        using var api = new HttpClient { BaseAddress = system.Api.BaseAddress };
        using var fulfillment = new HttpClient { BaseAddress = system.Fulfillment.BaseAddress };
        async Task ScrapeAsync(string moment)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, $"api-{moment}.metrics"), $"# scraped at {Now()}\n" + await api.GetStringAsync("/metrics"));
            await File.WriteAllTextAsync(Path.Combine(folder, $"fulfillment-{moment}.metrics"), $"# scraped at {Now()}\n" + await fulfillment.GetStringAsync("/metrics"));
        }

        async Task<double?> DatabaseCheckAsync(HttpClient service) =>
            PrometheusText.Value(await service.GetStringAsync("/metrics"), "puffin_readiness_healthy", "check=\"database\"");

        var session = await system.CreateSessionAsync(1m);
        using (await system.DeliverAsync(StripeEventFixture.CompletedPaid, session))
        {
        }

        await Eventually.TrueAsync(
            async () => (await system.ApiClient.GetFromJsonAsync<OrderStatusView>($"/api/checkout/session/{session.SessionId}"))!.Status == "fulfilled",
            TimeSpan.FromSeconds(60), "the order is fulfilled");
        await ScrapeAsync("before");

        var server = await PostgresServer.Shared;
        await server.StopAsync();
        var stopped = Now();
        var answers = new List<string>();
        try
        {
            await Eventually.TrueAsync(async () => await DatabaseCheckAsync(api) == 0 && await DatabaseCheckAsync(fulfillment) == 0
                    && logs.Entries.Any(entry => entry.Message.StartsWith("Could not count orders", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(90), "both services report the database, and the order counts have failed");
            using (var checkout = await system.ApiClient.PostAsJsonAsync("/api/checkout/create-session", new { tons = 1m, portfolioId = 21 }))
            {
                answers.Add($"POST /api/checkout/create-session → {(int)checkout.StatusCode}: {await checkout.Content.ReadAsStringAsync()}");
            }

            var second = session with { OrderId = Guid.NewGuid(), SessionId = "cs_test_during_outage" };
            using (var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, second, eventId: "evt_during_outage"))
            {
                answers.Add($"POST /api/webhooks/stripe → {(int)webhook.StatusCode}: {await webhook.Content.ReadAsStringAsync()}");
            }

            await ScrapeAsync("during");
        }
        finally
        {
            await server.StartAgainAsync();
        }

        await Eventually.TrueAsync(async () => await DatabaseCheckAsync(api) == 1 && await DatabaseCheckAsync(fulfillment) == 1,
            TimeSpan.FromSeconds(90), "both services report the database back");
        await ScrapeAsync("after");
        await File.WriteAllLinesAsync(Path.Combine(folder, "answers.txt"), [$"PostgreSQL stopped at {stopped}", .. answers]);
        await File.WriteAllLinesAsync(Path.Combine(folder, "logs.txt"), logs.Entries.Select(entry => entry.ToString()));
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
