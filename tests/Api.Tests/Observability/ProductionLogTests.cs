using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Observability;

/// <summary>
/// What an operator greps in an incident: the built Api started in Production writes one JSON object per line,
/// and a line written while serving a request carries that request's trace id, span id and client address.
/// </summary>
[Collection(RunsAlone.Name)] // a process of its own whose log is read back: kept off the busiest minutes of the run
public sealed class ProductionLogTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private StripeSandboxHost _stripe = null!;
    private WrenStub _wren = null!;
    private ApiProcess _api = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeSandboxHost.StartAsync();
        _wren = await WrenStub.StartAsync();
        var brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();
        var settings = await ApiHost.SettingsAsync(_folder.File("orders.db"), brokerUri, _stripe.BaseAddress, _wren.BaseAddress);
        settings["ASPNETCORE_ENVIRONMENT"] = "Production";
        _api = await ApiProcess.StartAsync(settings, _folder.Path);
    }

    [Fact]
    public async Task In_Production_a_request_s_log_line_is_JSON_with_its_trace_id_and_client_address()
    {
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, "cs_test_LOGGED", Guid.NewGuid(), "evt_LOGGED_JSON");
        using var client = new HttpClient { BaseAddress = _api.BaseAddress };
        await SendAsync(client, body, ActivityTraceId.CreateRandom());
        // The repeat is answered on the request's own path ("already handled"), so its line is written in the request.
        var traceId = ActivityTraceId.CreateRandom();
        await SendAsync(client, body, traceId);

        // The first delivery may log "already handled" too (a slow machine's hand-off to the writer can time out and
        // the request then finds its own event recorded), so the line looked for is the one carrying the repeat's trace.
        var line = (await Eventually.ValueAsync(() => Task.FromResult(JsonLines().Where(IsDuplicateOfOurEvent)
                .Where(l => HasScope(l, "TraceId", traceId.ToHexString())).Select(l => (JsonElement?)l).FirstOrDefault()),
            found => found is not null, TimeSpan.FromSeconds(60), "the Api logs the repeated event as a JSON line with the repeat's trace id"))!.Value;

        Assert.Equal("Information", line.GetProperty("LogLevel").GetString());
        Assert.EndsWith("Z", line.GetProperty("Timestamp").GetString(), StringComparison.Ordinal);
        var scopes = line.GetProperty("Scopes").EnumerateArray().ToList();
        Assert.Contains(scopes, scope => scope.TryGetProperty("SpanId", out var span) && span.GetString()!.Length == 16);
        Assert.Contains(scopes, scope => scope.TryGetProperty("client.address", out var address) && address.GetString() == "127.0.0.1");
        // Every log line is JSON: nothing for a log shipper to parse twice.
        Assert.All(_api.Current.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            text => Assert.StartsWith("{", text, StringComparison.Ordinal));
    }

    private static bool HasScope(JsonElement line, string name, string value) =>
        line.TryGetProperty("Scopes", out var scopes)
        && scopes.EnumerateArray().Any(scope => scope.TryGetProperty(name, out var found) && found.GetString() == value);

    private static bool IsDuplicateOfOurEvent(JsonElement line) =>
        line.TryGetProperty("State", out var state) && state.TryGetProperty("EventId", out var eventId)
        && eventId.GetString() == "evt_LOGGED_JSON" && line.GetProperty("Message").GetString()!.Contains("already handled", StringComparison.Ordinal);

    private IEnumerable<JsonElement> JsonLines()
    {
        foreach (var text in _api.Current.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            JsonElement? line = null;
            try
            {
                line = JsonDocument.Parse(text).RootElement;
            }
            catch (JsonException)
            {
                // Not a JSON line: the last assertion reports it.
            }

            if (line is { } parsed)
            {
                yield return parsed;
            }
        }
    }

    private static async Task SendAsync(HttpClient client, string body, ActivityTraceId traceId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, ApiHost.WebhookSecret));
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _stripe.DisposeAsync();
        await _wren.DisposeAsync();
        _folder.Dispose();
    }
}
