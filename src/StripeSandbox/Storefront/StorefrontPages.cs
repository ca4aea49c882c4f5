using System.Text.Json;
using Microsoft.Extensions.Options;
using PuffinOffset.StripeSandbox.Configuration;

namespace PuffinOffset.StripeSandbox.Storefront;

/// <summary>
/// A minimal shop for trying the system offline: <c>/</c> (pick a portfolio and tonnes),
/// <c>/checkout/success</c> (follows the order live) and <c>/checkout/cancel</c>. The pages call the Api
/// over CORS exactly as the real frontend does; <c>/storefront/config.js</c> tells them where it is.
/// The files are embedded in the assembly so the shop works wherever the sandbox is hosted (tests included).
/// </summary>
public static class StorefrontPages
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    public static IEndpointRouteBuilder MapStorefront(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => File("index.html"));
        app.MapGet("/checkout/success", () => File("success.html"));
        app.MapGet("/checkout/cancel", () => File("cancel.html"));
        app.MapGet("/storefront/config.js", (IOptions<StripeSandboxOptions> options) => Results.Text(
            $"window.PUFFIN_API_URL = {JsonSerializer.Serialize(options.Value.PuffinApiUrl?.GetLeftPart(UriPartial.Path).TrimEnd('/') ?? "")};\n",
            "text/javascript; charset=utf-8"));
        app.MapGet("/storefront/{file}", (string file) => File(file));
        return app;
    }

    private static IResult File(string name)
    {
        var stream = typeof(StorefrontPages).Assembly.GetManifestResourceStream($"storefront/{name}");
        return stream is null || !ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType)
            ? Results.NotFound()
            : Results.Stream(stream, contentType);
    }
}
