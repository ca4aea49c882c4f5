using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;

namespace PuffinOffset.Api.Security;

/// <summary>Session creations per client IP per minute (<c>CHECKOUT_RATE_LIMIT_PER_MINUTE</c>; 0 = off).</summary>
public static class CheckoutRateLimit
{
    public const string PolicyName = "checkout";

    public static IServiceCollection AddCheckoutRateLimit(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PolicyName, context =>
            {
                var limit = context.RequestServices.GetRequiredService<IOptions<CheckoutOptions>>().Value.RateLimitPerMinute;
                var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return limit == 0
                    ? RateLimitPartition.GetNoLimiter(client)
                    : RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = limit,
                        Window = TimeSpan.FromMinutes(1),
                        QueueLimit = 0,
                    });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
                {
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                }

                var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context.HttpContext,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = "Too many checkout attempts from this address; please wait a minute and try again.",
                    },
                });
            };
        });
        return services;
    }
}
