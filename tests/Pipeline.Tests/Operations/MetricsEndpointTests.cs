using PuffinOffset.Pipeline.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>
/// Both services serve Prometheus text at /metrics, and every metric the alert rules query is there from
/// the start, under the name OpenTelemetry's exporter gives it: a renamed or uninitialised metric, or a
/// typo in alerts.yml, breaks the build instead of silencing an alert.
/// </summary>
[Collection(RunsAlone.Name)] // reads /metrics
public sealed class MetricsEndpointTests
{
    /// <summary>
    /// Metrics whose services' changes (issue 8: api8, fulfil8) were not on main when these rules were
    /// written. Delete each name as it lands; the coordinator empties this list at the merge.
    /// </summary>
    [Fact]
    public void The_alert_rules_query_the_metrics_they_are_about()
    {
        var names = AlertRules.MetricNames();

        Assert.Contains("puffin_outbox_oldest_pending_age_seconds", names);
        Assert.Contains("puffin_stripe_webhook_signature_failures_total", names);
        Assert.Contains("puffin_orders_attention", names);
        Assert.Contains("http_server_request_duration_seconds_bucket", names);
        Assert.DoesNotContain("up", names);
        Assert.DoesNotContain("job", names);
        Assert.DoesNotContain("max", names);
    }

    [Fact]
    public async Task Every_metric_an_alert_uses_is_exposed_by_the_Api_or_Fulfillment_once_the_Api_has_served_a_checkout()
    {
        await using var system = await PuffinSystem.StartAsync();
        using var api = new HttpClient { BaseAddress = system.Api.BaseAddress };
        using var fulfillment = new HttpClient { BaseAddress = system.Fulfillment.BaseAddress };
        var wanted = AlertRules.MetricNames().ToList();
        // ASP.NET Core's request histogram appears with the first request it measures (probes and scrapes are not).
        await system.CreateSessionAsync(1m);

        // Gauges read from the database appear after their first refresh, a moment after start.
        var missing = await Eventually.ValueAsync(async () =>
            {
                var exposed = PrometheusText.MetricNames(await api.GetStringAsync("/metrics"))
                    .Union(PrometheusText.MetricNames(await fulfillment.GetStringAsync("/metrics")))
                    .ToHashSet();
                return string.Join(", ", wanted.Where(name => !exposed.Contains(name)));
            },
            names => names.Length == 0,
            TimeSpan.FromSeconds(30),
            "every metric in alerts.yml is exposed");

        Assert.Empty(missing);
    }

    [Fact]
    public async Task The_Api_serves_its_own_metrics_as_Prometheus_text()
    {
        await using var system = await PuffinSystem.StartAsync();
        using var api = new HttpClient { BaseAddress = system.Api.BaseAddress };

        using var response = await api.GetAsync("/metrics");

        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE puffin_stripe_webhook_signature_failures_total counter", text);
        Assert.Contains("puffin_stripe_webhook_signature_failures_total{", text);
    }
}
