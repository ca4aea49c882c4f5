using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Hosting;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// Behind a trusted proxy the client's address (X-Forwarded-For) is what the request's server span and
/// its log records name as <c>client.address</c>; a sender that is not a trusted proxy is named itself,
/// whatever X-Forwarded-For it writes. The real Api on Kestrel, reached over TCP from two loopback
/// addresses: 127.0.0.2 is the trusted proxy, 127.0.0.3 a stranger.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class ForwardedClientAddressTests : IAsyncLifetime
{
    private static readonly IPAddress Proxy = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.3");

    private readonly TempFolder _folder = new();
    private readonly LogRecorder _logs = new();
    private readonly TraceRecorder _traces = new();
    private StripeSandboxHost _stripe = null!;
    private WrenStub _wren = null!;
    private ServiceHost _api = null!;

    public async Task InitializeAsync()
    {
        _stripe = await StripeSandboxHost.StartAsync();
        _wren = await WrenStub.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["STRIPE_SECRET_KEY"] = "sk_test_TESTONLYforwarded",
            ["STRIPE_WEBHOOK_SECRET"] = ApiHost.WebhookSecret,
            ["STRIPE_API_BASE"] = _stripe.BaseAddress.ToString(),
            ["WREN_API_BASE"] = _wren.BaseAddress.ToString(),
            ["FRONTEND_URL"] = ApiHost.FrontendOrigin,
            ["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "0",
            ["TRUSTED_PROXIES"] = Proxy.ToString(),
            ["ConnectionStrings:messaging"] = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync(),
        }.With(await TestDatabase.SettingsAsync("DATABASE_PATH", _folder.File("orders.db"), "orders"));
        _api = await ServiceHost.StartApiAsync(settings, logs: _logs.For("Api"));
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        await _stripe.DisposeAsync();
        await _wren.DisposeAsync();
        _traces.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Behind_the_trusted_proxy_the_forwarded_client_is_on_the_server_span_and_in_the_request_logs()
    {
        var client = UniqueDocumentationAddress();

        Assert.Equal(HttpStatusCode.BadRequest, await PostUnsignedWebhookAsync(from: Proxy, forwardedFor: client));

        var span = await ServerSpanAsync(client);
        Assert.Equal("POST", span.GetTagItem("http.request.method"));
        var rejection = RejectedWebhookLog(client);
        Assert.Equal(client, rejection.Scopes[ClientAddressTelemetry.Attribute]);
    }

    [Fact]
    public async Task An_untrusted_senders_X_Forwarded_For_is_ignored_the_sender_itself_is_named()
    {
        var forged = UniqueDocumentationAddress();

        Assert.Equal(HttpStatusCode.BadRequest, await PostUnsignedWebhookAsync(from: Stranger, forwardedFor: forged));

        // The stranger's request is the one whose span and log name the stranger; nothing names the forged address.
        await ServerSpanAsync(Stranger.ToString());
        Assert.Contains(_logs.Entries, entry => entry.Message.StartsWith("Rejected a Stripe webhook", StringComparison.Ordinal)
            && Equals(entry.Scopes.GetValueOrDefault(ClientAddressTelemetry.Attribute), Stranger.ToString()));
        Assert.DoesNotContain(_traces.Activities, activity => Equals(activity.GetTagItem(ClientAddressTelemetry.Attribute), forged));
        Assert.DoesNotContain(_logs.Entries, entry => Equals(entry.Scopes.GetValueOrDefault(ClientAddressTelemetry.Attribute), forged));
    }

    /// <summary>A webhook without a signature: refused (400) with a Warning, logged while the request runs.</summary>
    private async Task<HttpStatusCode> PostUnsignedWebhookAsync(IPAddress from, string forwardedFor)
    {
        using var handler = new SocketsHttpHandler { ConnectCallback = (context, token) => ConnectFromAsync(from, context.DnsEndPoint, token) };
        using var http = new HttpClient(handler) { BaseAddress = _api.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/webhooks/stripe")
        {
            Content = new StringContent("""{"id":"evt_unsigned"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Linux answers on all of 127.0.0.0/8: binding the client socket picks the sender's address.</summary>
    private static async ValueTask<Stream> ConnectFromAsync(IPAddress from, DnsEndPoint server, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(from, 0));
            await socket.ConnectAsync(IPAddress.Parse(server.Host), server.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The server span ends just after the response is sent: wait for it rather than assume it is there.</summary>
    private async Task<Activity> ServerSpanAsync(string clientAddress) =>
        (await Eventually.ValueAsync(
            () => Task.FromResult(_traces.Activities.FirstOrDefault(activity => activity.Kind == ActivityKind.Server
                && Equals(activity.GetTagItem(ClientAddressTelemetry.Attribute), clientAddress))),
            span => span is not null, TimeSpan.FromSeconds(10), $"a server span with client.address {clientAddress}"))!;

    private LogRecorder.Entry RejectedWebhookLog(string clientAddress) =>
        Assert.Single(_logs.Entries, entry => entry.Message.StartsWith("Rejected a Stripe webhook", StringComparison.Ordinal)
            && Equals(entry.Scopes.GetValueOrDefault(ClientAddressTelemetry.Attribute), clientAddress));

    // 2001:db8::/32 is for documentation: never a real client, and unique to this test run.
    private static string UniqueDocumentationAddress() =>
        IPAddress.Parse($"2001:db8::{Random.Shared.Next(1, 0xffff):x}:{Random.Shared.Next(1, 0xffff):x}").ToString();
}
