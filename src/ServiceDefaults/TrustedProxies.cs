using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// <c>TRUSTED_PROXIES</c>: the reverse proxies (addresses or CIDR ranges, comma-separated) whose
/// <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> are believed, so the rate limiter, logs and traces
/// see the client's address instead of the proxy's. Anyone else's headers are ignored: a client that
/// writes its own X-Forwarded-For must not pick its rate-limit partition. None by default.
/// </summary>
public static class TrustedProxies
{
    public const string Variable = "TRUSTED_PROXIES";

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services)
    {
        services.AddOptions<TrustedProxyList>()
            .Configure<IConfiguration>((list, config) => list.Entries =
                (config[Variable] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Validate(list => list.Entries.All(entry => TryParse(entry, out _, out _)),
                $"{Variable} must be a comma-separated list of IP addresses or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8).")
            .Validate(list => !list.Entries.Any(TrustsEveryAddress),
                $"{Variable} must not trust every address (0.0.0.0/0 or ::/0): any client could then write its own X-Forwarded-For "
                + "and pick its rate-limit partition and logged address. List the proxies' addresses or their network, e.g. 10.0.0.0/8.")
            .ValidateOnStart();

        services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<TrustedProxyList>>((forwarded, trusted) =>
            {
                forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                // The framework trusts loopback by default; only the configured proxies are trusted here.
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                // Walk back through every trusted hop (nginx behind a load balancer) to the first untrusted one.
                forwarded.ForwardLimit = null;
                foreach (var entry in trusted.Value.Entries)
                {
                    if (TryParse(entry, out var address, out var network))
                    {
                        if (address is not null)
                        {
                            forwarded.KnownProxies.Add(address);
                        }
                        else
                        {
                            forwarded.KnownIPNetworks.Add(network);
                        }
                    }
                }
            });
        return services;
    }

    /// <summary>
    /// First in the pipeline: everything after it sees the client's address and scheme, and so do the
    /// request's trace and logs (<see cref="ClientAddressTelemetry"/>).
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app) =>
        app.UseForwardedHeaders().UseClientAddressTelemetry();

    private static bool TrustsEveryAddress(string entry) => TryParse(entry, out _, out var network) && entry.Contains('/') && network.PrefixLength == 0;

    private static bool TryParse(string entry, out IPAddress? address, out System.Net.IPNetwork network)
    {
        network = default;
        var slash = entry.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return TryParseAddress(entry, out address);
        }

        address = null;
        if (!TryParseAddress(entry[..slash], out var written) || !int.TryParse(entry[(slash + 1)..], out var prefix)
            || prefix < 0 || prefix > written!.GetAddressBytes().Length * 8)
        {
            return false;
        }

        // "172.28.0.10/24" (an interface's address and its network, as `ip addr` prints it) means the network
        // 172.28.0.0/24; IPNetwork itself refuses host bits, so they are cleared here.
        network = new System.Net.IPNetwork(NetworkAddress(written, prefix), prefix);
        return true;
    }

    // IPAddress also takes inet_aton's short forms ("10.0.0" is 10.0.0.0): a typo, not a proxy.
    private static bool TryParseAddress(string text, out IPAddress? address) =>
        IPAddress.TryParse(text, out address)
        && (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || text.Count(c => c == '.') == 3);

    private static IPAddress NetworkAddress(IPAddress address, int prefixLength)
    {
        var bytes = address.GetAddressBytes();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes);
    }

    public sealed class TrustedProxyList
    {
        public IReadOnlyList<string> Entries { get; set; } = [];
    }
}
