using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// <c>MANAGEMENT_URLS</c>: a second listener (e.g. <c>http://127.0.0.1:9464</c>) for what only operators and
/// their tools may reach: the admin API and console, <c>/metrics</c>, <c>/health</c> and <c>/alive</c>. When it
/// is set those endpoints answer 404 on every other listener. The check is on the port the connection arrived
/// on, not the Host header, which a client writes. Unset, the main listener serves everything.
/// </summary>
public static class ManagementListener
{
    public const string Variable = "MANAGEMENT_URLS";

    /// <summary>Marks an endpoint served only on the management listener when there is one.</summary>
    public static TBuilder ServedOnManagementListener<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ManagementOnlyAttribute());

    public static IServiceCollection AddManagementListener(this IServiceCollection services)
    {
        services.AddOptions<ManagementPorts>()
            .Configure<IConfiguration>((ports, config) => ports.Parse(config[Variable]))
            .Validate(ports => ports.Valid,
                $"{Variable} must be a comma-separated list of http(s) URLs with an explicit port, e.g. http://127.0.0.1:9464.")
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// First in the pipeline: adds the management addresses to the ones the service listens on (its own
    /// <c>ASPNETCORE_URLS</c> / <c>--urls</c> / <c>ASPNETCORE_HTTP_PORTS</c>, else Kestrel's default) and refuses
    /// management endpoints on any other port.
    /// </summary>
    public static WebApplication UseManagementListener(this WebApplication app)
    {
        var management = app.Configuration[Variable];
        if (string.IsNullOrWhiteSpace(management))
        {
            return app;
        }

        // Adding any address replaces the configured ones, so those are added again first.
        if (app.Urls.Count == 0)
        {
            foreach (var url in MainUrls(app.Configuration))
            {
                app.Urls.Add(url);
            }
        }

        foreach (var url in Split(management))
        {
            app.Urls.Add(url);
        }

        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ManagementOnlyAttribute>() is not null
                && !context.RequestServices.GetRequiredService<IOptions<ManagementPorts>>().Value.Ports.Contains(context.Connection.LocalPort))
            {
                // As if the endpoint did not exist here: nothing tells a scanner that it does elsewhere.
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await next(context);
        });
        return app;
    }

    private static IEnumerable<string> MainUrls(IConfiguration configuration)
    {
        if (Split(configuration[WebHostDefaults.ServerUrlsKey]) is { Count: > 0 } urls)
        {
            return urls;
        }

        var http = Split(configuration[WebHostDefaults.HttpPortsKey]).Select(port => $"http://*:{port}");
        var https = Split(configuration[WebHostDefaults.HttpsPortsKey]).Select(port => $"https://*:{port}");
        return http.Concat(https).DefaultIfEmpty("http://localhost:5000").ToList();
    }

    private static List<string> Split(string? value) =>
        [.. (value ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
    public sealed class ManagementOnlyAttribute : Attribute;

    public sealed class ManagementPorts
    {
        public HashSet<int> Ports { get; } = [];

        public bool Valid { get; private set; } = true;

        internal void Parse(string? value)
        {
            foreach (var url in Split(value))
            {
                try
                {
                    var address = BindingAddress.Parse(url);
                    Valid &= address.Scheme is "http" or "https" && address.Port > 0 && url.Contains($":{address.Port}", StringComparison.Ordinal);
                    Ports.Add(address.Port);
                }
                catch (FormatException)
                {
                    Valid = false;
                }
            }
        }
    }
}
