using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Operator endpoints exist only when <c>ADMIN_API_KEY</c> is set, and answer 401 problem details
/// unless the request carries it as a bearer token (compared in constant time).
/// </summary>
public static class AdminEndpoints
{
    public const string KeyVariable = "ADMIN_API_KEY";

    /// <summary>The admin route group under <paramref name="prefix"/>, or null when no key is configured.</summary>
    public static RouteGroupBuilder? MapAdminGroup(this IEndpointRouteBuilder app, string prefix, IConfiguration configuration)
    {
        var key = configuration[KeyVariable];
        if (string.IsNullOrWhiteSpace(key))
        {
            return null;
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key.Trim()));
        return app.MapGroup(prefix)
            .WithTags("Admin")
            .AddEndpointFilter(async (context, next) => Authorized(context.HttpContext.Request, expected)
                ? await next(context)
                : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                    detail: "A valid admin bearer token is required."));
    }

    private static bool Authorized(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashing both sides gives equal lengths, so the comparison leaks nothing about the key.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }
}
