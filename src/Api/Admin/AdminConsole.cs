using PuffinOffset.Api.Security;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// <c>GET /admin</c>: the operator console, plain HTML, CSS and JavaScript embedded in the assembly (no build
/// step, works wherever the Api runs). Like the admin endpoints it exists only when an admin key is configured
/// (<c>ADMIN_API_KEY</c> or <c>ADMIN_API_KEYS_FILE</c>) and is served on the management listener when there is one; the page itself holds nothing secret; it asks for the key and calls <c>/api/admin/*</c> with it.
/// </summary>
public static class AdminConsole
{
    private static readonly Dictionary<string, string> Files = new(StringComparer.Ordinal)
    {
        ["console.css"] = "text/css; charset=utf-8",
        ["console.js"] = "text/javascript; charset=utf-8",
        ["favicon.svg"] = "image/svg+xml",
    };

    public static WebApplication MapAdminConsole(this WebApplication app)
    {
        if (!AdminKeys.Configured(app.Configuration))
        {
            return app;
        }

        var console = app.MapGroup("/admin").ExcludeFromDescription().ServedOnManagementListener()
            .AddEndpointFilter(async (context, next) =>
            {
                // Only this origin's scripts, no framing, nothing cached: the page handles the admin key.
                var headers = context.HttpContext.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
                headers.XContentTypeOptions = "nosniff";
                headers.CacheControl = "no-store";
                headers["Referrer-Policy"] = "no-referrer";
                return await next(context);
            });
        console.MapGet("", () => File("index.html", "text/html; charset=utf-8"));
        console.MapGet("/{file}", (string file) => Files.TryGetValue(file, out var contentType) ? File(file, contentType) : Results.NotFound());
        return app;
    }

    private static IResult File(string name, string contentType) =>
        typeof(AdminConsole).Assembly.GetManifestResourceStream($"admin-console/{name}") is { } stream
            ? Results.Stream(stream, contentType)
            : Results.NotFound();
}
