using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;

namespace PuffinOffset.Api;

public sealed record FrontendConfig(string? StripePublishableKey);

public sealed record ApiHealth(string Status);

/// <summary>
/// <c>/api/config</c> for the frontend and <c>/api/health</c> for the existing frontend and probes: the same
/// readiness as <c>/health</c> (database and broker), in the frontend's shape.
/// </summary>
public static class ConfigApi
{
    public static IEndpointRouteBuilder MapConfigApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/config", GetConfig).WithName("GetConfig").WithTags("Config");
        api.MapGet("/health", GetHealth).WithName("GetHealth").WithTags("Config");
        return api;
    }

    public static Ok<FrontendConfig> GetConfig(IOptions<StripeOptions> stripe) => TypedResults.Ok(new FrontendConfig(stripe.Value.PublishableKey));

    public static async Task<Results<Ok<ApiHealth>, JsonHttpResult<ApiHealth>>> GetHealth(HealthCheckService health, CancellationToken cancellationToken) =>
        (await health.CheckHealthAsync(cancellationToken)).Status == HealthStatus.Healthy
            ? TypedResults.Ok(new ApiHealth("ok"))
            : TypedResults.Json(new ApiHealth("unavailable"), statusCode: StatusCodes.Status503ServiceUnavailable);
}
