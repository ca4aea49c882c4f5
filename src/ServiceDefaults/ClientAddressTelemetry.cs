using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Puts the client's address (after <see cref="TrustedProxies"/> has read X-Forwarded-For) on the request's
/// server span and in a log scope, both as <c>client.address</c> (OpenTelemetry's name). The server span
/// starts before any middleware runs, so without this a trace behind nginx would name the proxy, or nobody.
/// </summary>
public static class ClientAddressTelemetry
{
    /// <summary>The semantic-convention attribute name, on spans and log records alike.</summary>
    public const string Attribute = "client.address";

    public static IApplicationBuilder UseClientAddressTelemetry(this IApplicationBuilder app)
    {
        // Scopes are shared by every logger of the factory: one logger opening it is enough for all.
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("PuffinOffset.ClientAddress");
        return app.Use(async (context, next) =>
        {
            var client = context.Connection.RemoteIpAddress?.ToString();
            if (client is null)
            {
                await next(context);
                return;
            }

            context.Features.Get<IHttpActivityFeature>()?.Activity.SetTag(Attribute, client);
            using (logger.BeginScope(new ClientAddressScope(client)))
            {
                await next(context);
            }
        });
    }

    /// <summary>A one-entry scope: OpenTelemetry's log exporter turns each pair into an attribute.</summary>
    private sealed class ClientAddressScope(string client) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 1;

        public KeyValuePair<string, object?> this[int index] =>
            index == 0 ? new(Attribute, client) : throw new ArgumentOutOfRangeException(nameof(index));

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        // The console logger's scope line: "client.address:203.0.113.7".
        public override string ToString() => $"{Attribute}:{client}";
    }
}
