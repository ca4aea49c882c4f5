using System.Net;
using System.Net.Http.Headers;
using System.Text;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.TestSupport;
using PuffinOffset.StripeSandbox;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>Every rejection listed in the Stripe signing reference: 400, and nothing in the database changes.</summary>
[Trait("Engine", "Neutral")]
public sealed class WebhookSignatureTests : ApiTestBase
{
    private const string Secret = ApiHost.WebhookSecret;

    public static TheoryData<string> RejectedCases() =>
    [
        "wrong secret", "secret without whsec_ prefix", "body changed by one byte", "trailing newline added", "signed 301 s ago",
        "signed 330 s in the future", "only v0", "upper-case hex", "item without =", "missing header", "empty header",
        "header without t", "header without signatures", "signed body that is not JSON", "signed JSON that is not an event",
    ];

    [Theory]
    [MemberData(nameof(RejectedCases))]
    public async Task A_webhook_that_does_not_verify_is_400_and_changes_nothing(string @case)
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        var now = DateTimeOffset.UtcNow;
        var t = now.ToUnixTimeSeconds();
        var valid = WebhookSigner.Signature(Secret, t, body);
        (string sentBody, string? header) = @case switch
        {
            "wrong secret" => (body, WebhookSigner.Header(body, now, "whsec_SOMEONEELSE0123456789abcdefghijABCDEF")),
            "secret without whsec_ prefix" => (body, WebhookSigner.Header(body, now, Secret["whsec_".Length..])),
            "body changed by one byte" => (body.Replace("\"paid\"", "\"pain\""), WebhookSigner.Header(body, now, Secret)),
            "trailing newline added" => (body + "\n", WebhookSigner.Header(body, now, Secret)),
            "signed 301 s ago" => (body, WebhookSigner.Header(body, now.AddSeconds(-301), Secret)),
            // Well past the tolerance: a webhook signed in the future becomes valid as the seconds pass, and a loaded machine
            // may take seconds to post it (the exact 300/301 s boundaries are StripeSignatureVerifierTests', on a fake clock).
            "signed 330 s in the future" => (body, WebhookSigner.Header(body, now.AddSeconds(330), Secret)),
            "only v0" => (body, $"t={t},v0={valid}"),
            "upper-case hex" => (body, $"t={t},v1={valid.ToUpperInvariant()}"),
            "item without =" => (body, $"t={t},v1={valid},garbage"),
            "missing header" => (body, null),
            "empty header" => (body, ""),
            "header without t" => (body, $"v1={valid}"),
            "header without signatures" => (body, $"t={t}"),
            "signed body that is not JSON" => ("not json at all", WebhookSigner.Header("not json at all", now, Secret)),
            "signed JSON that is not an event" => ("""{"hello":"world"}""", WebhookSigner.Header("""{"hello":"world"}""", now, Secret)),
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };
        var before = await DatabaseSnapshotAsync();
        using var signatureFailures = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.stripe.webhook_signature_failures");

        using var response = await PostWebhookAsync(sentBody, header);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(1, signatureFailures.Value); // what PuffinWebhookSignatureFailures alerts on
        await ProblemAssert.IsSafeProblemAsync(response, 400);
        Assert.Equal(before, await DatabaseSnapshotAsync());
        Assert.Equal(OrderStatus.Pending, (await OrderAsync(created.OrderId)).Status);
    }

    public static TheoryData<string> AcceptedCases() =>
    [
        "signed now", "signed 270 s ago", "signed 300 s in the future", "several v1, one matching", "extra v0", "spaces after commas",
    ];

    [Theory]
    [MemberData(nameof(AcceptedCases))]
    public async Task A_webhook_signed_as_stripe_does_is_applied(string @case)
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        var now = DateTimeOffset.UtcNow;
        var t = now.ToUnixTimeSeconds();
        var valid = WebhookSigner.Signature(Secret, t, body);
        var header = @case switch
        {
            "signed now" => $"t={t},v1={valid}",
            // Thirty seconds of slack for the time between signing and the Api's check on a loaded machine.
            "signed 270 s ago" => WebhookSigner.Header(body, now.AddSeconds(-270), Secret),
            "signed 300 s in the future" => WebhookSigner.Header(body, now.AddSeconds(300), Secret),
            "several v1, one matching" => $"t={t},v1={new string('0', 64)},v1={valid},v1={new string('a', 64)}",
            "extra v0" => $"t={t},v1={valid},v0={new string('6', 64)}",
            "spaces after commas" => $"t={t}, v1={valid}, v0={new string('6', 64)}",
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };

        using var signatureFailures = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.stripe.webhook_signature_failures");

        using var response = await PostWebhookAsync(body, header);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, signatureFailures.Value);
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
    }

    [Fact]
    public async Task An_event_of_another_api_version_is_processed()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId, apiVersion: "2026-07-29.dahlia");
        Assert.Contains("2026-07-29.dahlia", body);

        using var response = await PostSignedWebhookAsync(body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
    }

    [Fact]
    public async Task A_body_over_512_KiB_is_413_and_changes_nothing()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        body = body.Insert(body.LastIndexOf('}'), ",\"padding\":\"" + new string('x', 512 * 1024) + "\"");
        var before = await DatabaseSnapshotAsync();

        using var response = await PostSignedWebhookAsync(body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await DatabaseSnapshotAsync());
    }

    [Theory]
    [InlineData(16 * 1024)]
    [InlineData(511 * 1024)]
    public async Task A_body_sent_without_a_length_is_read_whole_and_applied(int size)
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        body = body.Insert(body.LastIndexOf('}'), ",\"padding\":\"" + new string('x', size - body.Length - 14) + "\"");

        using var response = await PostChunkedAsync(body, WebhookSigner.Header(body, DateTimeOffset.UtcNow, Secret), "application/json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
    }

    [Fact]
    public async Task A_body_over_512_KiB_sent_without_a_length_is_413_and_changes_nothing()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        body = body.Insert(body.LastIndexOf('}'), ",\"padding\":\"" + new string('x', 512 * 1024) + "\"");
        var before = await DatabaseSnapshotAsync();

        using var response = await PostChunkedAsync(body, WebhookSigner.Header(body, DateTimeOffset.UtcNow, Secret), "application/json");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await DatabaseSnapshotAsync());
    }

    [Fact]
    public async Task A_signed_body_sent_as_another_content_type_is_415_and_changes_nothing()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        var before = await DatabaseSnapshotAsync();

        using var response = await PostChunkedAsync(body, WebhookSigner.Header(body, DateTimeOffset.UtcNow, Secret), "text/plain");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(before, await DatabaseSnapshotAsync());
    }

    /// <summary>Without a Content-Length (chunked), so the Api cannot size its buffer up front.</summary>
    private async Task<HttpResponseMessage> PostChunkedAsync(string body, string header, string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe") { Content = new UnsizedContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TryAddWithoutValidation("Stripe-Signature", header);
        return await Client.SendAsync(request);
    }

    private sealed class UnsizedContent(byte[] bytes) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            foreach (var chunk in bytes.Chunk(7_000))
            {
                await stream.WriteAsync(chunk);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>During a secret roll STRIPE_WEBHOOK_SECRET lists both secrets; either verifies.</summary>
[Trait("Engine", "Neutral")]
public sealed class WebhookSecretRotationTests : ApiTestBase
{
    private const string NewSecret = "whsec_TESTONLYnewSecretAfterRotation0123456789";

    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["STRIPE_WEBHOOK_SECRET"] = $"{ApiHost.WebhookSecret}, {NewSecret}";

    [Theory]
    [InlineData("old")]
    [InlineData("new")]
    [InlineData("both")]
    public async Task Either_configured_secret_verifies(string signedWith)
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);
        string[] secrets = signedWith switch
        {
            "old" => [ApiHost.WebhookSecret],
            "new" => [NewSecret],
            _ => [ApiHost.WebhookSecret, NewSecret],
        };

        using var response = await PostWebhookAsync(body, WebhookSigner.Header(body, DateTimeOffset.UtcNow, secrets));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(created.OrderId)).Status);
    }

    [Fact]
    public async Task A_secret_not_in_the_list_is_refused()
    {
        var created = await CreateOrderAsync();
        var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, created.SessionId, created.OrderId);

        using var response = await PostWebhookAsync(body, WebhookSigner.Header(body, DateTimeOffset.UtcNow, "whsec_TESTONLYretiredSecret000000000000000"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(OrderStatus.Pending, (await OrderAsync(created.OrderId)).Status);
    }
}
