using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using PuffinOffset.Api.Tests.Support;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// TRUSTED_PROXIES: behind nginx every request comes from the proxy's address, so without forwarded
/// headers all clients would share one rate-limit partition; with them, a client that is not a
/// trusted proxy still cannot choose its partition by writing X-Forwarded-For itself.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class TrustedProxyTests : ApiTestBase
{
    // Loopback addresses (all of 127.0.0.0/8 is local), so each sender is a real TCP peer of the Api on Kestrel.
    private static readonly IPAddress Proxy = IPAddress.Parse("127.0.0.5");
    private static readonly IPAddress ProxyInTrustedRange = IPAddress.Parse("127.0.10.20");
    private static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.9");

    protected override void Configure(Dictionary<string, string?> settings)
    {
        settings["CHECKOUT_RATE_LIMIT_PER_MINUTE"] = "1";
        settings["TRUSTED_PROXIES"] = "127.0.0.5, 127.0.10.0/24";
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_limit()
    {
        Assert.Equal(200, await CreateSessionAsync(from: Proxy, forwardedFor: "203.0.113.7"));
        Assert.Equal(200, await CreateSessionAsync(from: Proxy, forwardedFor: "203.0.113.8"));
        Assert.Equal(200, await CreateSessionAsync(from: ProxyInTrustedRange, forwardedFor: "203.0.113.9"));

        Assert.Equal(429, await CreateSessionAsync(from: Proxy, forwardedFor: "203.0.113.7"));
        Assert.Equal(429, await CreateSessionAsync(from: ProxyInTrustedRange, forwardedFor: "203.0.113.8"));
    }

    [Fact]
    public async Task An_untrusted_sender_cannot_pick_its_partition_with_X_Forwarded_For()
    {
        Assert.Equal(200, await CreateSessionAsync(from: Stranger, forwardedFor: "203.0.113.7"));

        Assert.Equal(429, await CreateSessionAsync(from: Stranger, forwardedFor: "203.0.113.8"));
        Assert.Single(Stripe.Sessions.All);
    }

    private async Task<int> CreateSessionAsync(IPAddress from, string forwardedFor)
    {
        // The TCP peer is whoever connects: the proxy, or a client talking to the Api directly.
        using var client = Api.CreateClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/checkout/create-session")
        {
            Content = JsonContent.Create(new { tons = 1, portfolioId = 21 }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        request.Headers.Add("X-Forwarded-Proto", "https");
        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }
}
