using System.Net;
using System.Net.Http.Json;
using PuffinOffset.Pipeline.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>
/// docs/operations.md's metrics catalogue is the one list of what the services export under <c>puffin_</c>: a
/// series added, renamed or given another type without its row, or a row whose series is gone, fails here.
/// </summary>
[Collection(RunsAlone.Name)] // reads /metrics
public sealed class MetricsCatalogueTests
{
    private sealed record OrderStatusView(string Status);

    [Fact]
    public void The_catalogue_lists_each_series_once_under_the_puffin_prefix()
    {
        var entries = MetricsCatalogue.Entries();

        Assert.True(entries.Count > 20, $"the catalogue table was not found or is short ({entries.Count} rows)");
        Assert.Equal(entries.Count, entries.Select(entry => entry.Series).Distinct().Count());
        Assert.Contains(entries, entry => entry is { Series: "puffin_outbox_dispatch_delay_seconds", Type: "histogram" });
    }

    [Fact]
    public async Task Both_services_export_every_catalogued_series_with_its_type_and_nothing_uncatalogued()
    {
        await using var system = await PuffinSystem.StartAsync();
        using var api = new HttpClient { BaseAddress = system.Api.BaseAddress };
        using var fulfillment = new HttpClient { BaseAddress = system.Fulfillment.BaseAddress };

        // The series that appear with an event: one purchase through to the Wren order, and an event for an order this Api does not know.
        var session = await system.CreateSessionAsync(1m);
        using (var webhook = await system.DeliverAsync(StripeEventFixture.CompletedPaid, session))
        {
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        }

        using (var unknown = await system.DeliverAsync(StripeEventFixture.CompletedPaid,
                   session with { OrderId = Guid.NewGuid(), SessionId = "cs_test_unknown_" + Guid.NewGuid().ToString("N") },
                   eventId: "evt_unknown_" + Guid.NewGuid().ToString("N")))
        {
            Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        }

        await Eventually.TrueAsync(
            async () => (await system.ApiClient.GetFromJsonAsync<OrderStatusView>($"/api/checkout/session/{session.SessionId}"))!.Status == "fulfilled",
            TimeSpan.FromSeconds(60), "the order is fulfilled");

        var catalogue = MetricsCatalogue.Entries().ToDictionary(entry => entry.Series);
        var expected = catalogue.Values.Where(entry => !entry.AppearsOnlyAfterAFailure).Select(entry => entry.Series).ToHashSet();
        Dictionary<string, string> exported = [];
        // Gauges read from the database or the broker appear after their first refresh, a moment after start.
        var missing = await Eventually.ValueAsync(async () =>
            {
                exported = PrometheusText.Families(await api.GetStringAsync("/metrics"))
                    .Concat(PrometheusText.Families(await fulfillment.GetStringAsync("/metrics")))
                    .Where(family => family.Key.StartsWith("puffin_", StringComparison.Ordinal))
                    .DistinctBy(family => family.Key)
                    .ToDictionary();
                return string.Join(", ", expected.Except(exported.Keys).Order());
            },
            names => names.Length == 0,
            TimeSpan.FromSeconds(30),
            "every catalogued series is exported");

        Assert.Empty(missing);
        Assert.Empty(exported.Keys.Where(series => !catalogue.ContainsKey(series)).Order());
        Assert.Empty(exported.Where(family => catalogue[family.Key].Type != family.Value)
            .Select(family => $"{family.Key} is a {family.Value}, catalogued as a {catalogue[family.Key].Type}"));
    }

    [Fact]
    public async Task The_routes_the_request_alerts_select_are_exported_under_those_names()
    {
        await using var system = await PuffinSystem.StartAsync();
        using var api = new HttpClient { BaseAddress = system.Api.BaseAddress };
        var session = await system.CreateSessionAsync(1m);
        using (await system.DeliverAsync(StripeEventFixture.CompletedPaid, session))
        {
        }

        var routes = AlertRules.SelectedHttpRoutes();
        Assert.NotEmpty(routes);
        var text = "";
        await Eventually.TrueAsync(async () =>
            {
                text = await api.GetStringAsync("/metrics");
                return routes.All(route => text.Contains($"http_route=\"{route}\"", StringComparison.Ordinal));
            },
            TimeSpan.FromSeconds(30), "each route an alert selects has requests counted under it");
    }
}
