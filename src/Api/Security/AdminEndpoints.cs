using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Api.Security;

/// <summary>
/// Operator endpoints exist only when an admin key is configured (<see cref="AdminKeys"/>), internal endpoints
/// (called by our other services) only when a service key is (<see cref="ServiceKeys"/>); neither kind of key opens
/// the other kind of endpoint. A request to one is
/// authenticated by middleware before its endpoint runs, so an unauthenticated request gets 401 before its body
/// is read or bound. Failed attempts are logged (never the key) and limited per client address: past
/// <see cref="FailuresPerWindow"/> in <see cref="FailureWindow"/>, the address gets 429 with Retry-After, right
/// key or not, until the window ends.
/// </summary>
public static partial class AdminEndpoints
{
    public const string KeyVariable = AdminKeys.KeyVariable;
    public const int FailuresPerWindow = 10;
    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(1);

    /// <summary>The claim type of the operator's name (the name their key is listed under).</summary>
    public const string AuthenticationType = "AdminKey";

    /// <summary>The authentication type of a request made with a service key (its name is the calling service's).</summary>
    public const string ServiceAuthenticationType = "ServiceKey";

    public static IServiceCollection AddAdminKeys(this IServiceCollection services)
    {
        services.AddOptions<AdminKeys>()
            .Configure<IConfiguration>((keys, configuration) => keys.Load(configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<AdminKeys>, AdminKeys.Validator>();
        services.AddOptions<ServiceKeys>()
            .Configure<IConfiguration>((keys, configuration) => keys.Load(configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServiceKeys>, ServiceKeys.Validator>();
        services.AddSingleton<AdminFailureLimiter>();
        return services;
    }

    /// <summary>The internal route group under <paramref name="prefix"/> (service keys only), or null when no service key is configured.</summary>
    public static RouteGroupBuilder? MapServiceGroup(this IEndpointRouteBuilder app, string prefix, IConfiguration configuration) =>
        ServiceKeys.Configured(configuration)
            ? app.MapGroup(prefix).WithTags("Internal").WithMetadata(new ServiceOnlyAttribute()).ServedOnManagementListener()
            : null;

    /// <summary>The admin route group under <paramref name="prefix"/>, or null when no key is configured.</summary>
    public static RouteGroupBuilder? MapAdminGroup(this IEndpointRouteBuilder app, string prefix, IConfiguration configuration) =>
        AdminKeys.Configured(configuration)
            ? app.MapGroup(prefix).WithTags("Admin").WithMetadata(new AdminOnlyAttribute()).ServedOnManagementListener()
            : null;

    /// <summary>The operator the request was authenticated as (only on admin endpoints).</summary>
    public static string OperatorName(this ClaimsPrincipal user) =>
        user.Identity is { IsAuthenticated: true, AuthenticationType: AuthenticationType, Name: { } name } ? name
            : throw new InvalidOperationException("Not an authenticated admin request.");

    /// <summary>After the client's address is known (<see cref="TrustedProxies"/>), before anything reads the body.</summary>
    public static IApplicationBuilder UseAdminAuthentication(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var metadata = context.GetEndpoint()?.Metadata;
            var forService = metadata?.GetMetadata<ServiceOnlyAttribute>() is not null;
            if (metadata?.GetMetadata<AdminOnlyAttribute>() is null && !forService)
            {
                await next(context);
                return;
            }

            var services = context.RequestServices;
            var limiter = services.GetRequiredService<AdminFailureLimiter>();
            var client = context.Connection.RemoteIpAddress ?? IPAddress.None;
            using (var open = limiter.Check(client))
            {
                if (!open.IsAcquired)
                {
                    await RefuseAsync(context, open, StatusCodes.Status429TooManyRequests);
                    return;
                }
            }

            var header = context.Request.Headers.Authorization.ToString();
            NamedKeys keys = forService ? services.GetRequiredService<IOptions<ServiceKeys>>().Value : services.GetRequiredService<IOptions<AdminKeys>>().Value;
            var name = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? keys.Find(header["Bearer ".Length..].Trim()) : null;
            if (name is not null)
            {
                context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], forService ? ServiceAuthenticationType : AuthenticationType));
                await next(context);
                return;
            }

            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminEndpoints));
            LogRefused(logger, forService ? "Service" : "Admin", client.ToString(), context.Request.Method, context.Request.Path.ToString(),
                header.Length == 0 ? "no Authorization header" : forService ? "a key that matches no service" : "a key that matches no operator");
            using var counted = limiter.CountFailure(client);
            await RefuseAsync(context, counted, counted.IsAcquired ? StatusCodes.Status401Unauthorized : StatusCodes.Status429TooManyRequests, forService);
        });

    private static async Task RefuseAsync(HttpContext context, RateLimitLease lease, int status, bool forService = false)
    {
        if (status == StatusCodes.Status429TooManyRequests && lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
        }

        var result = status == StatusCodes.Status401Unauthorized
            ? Results.Problem(statusCode: status, title: "Unauthorized",
                detail: forService ? "A valid service bearer token is required." : "A valid admin bearer token is required.")
            : Results.Problem(statusCode: status, title: "Too many requests",
                detail: "Too many failed authentications from this address; wait and try again.");
        await result.ExecuteAsync(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} authentication failed from {ClientAddress} ({Method} {Path}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string kind, string clientAddress, string method, string path, string reason);

    /// <summary>Marks the endpoints that need an admin key.</summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
    public sealed class AdminOnlyAttribute : Attribute;

    /// <summary>Marks the endpoints that need a service key.</summary>
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
    public sealed class ServiceOnlyAttribute : Attribute;

    /// <summary>Failed authentications per client address in a fixed window (ASP.NET Core's rate limiting primitives).</summary>
    internal sealed class AdminFailureLimiter : IDisposable
    {
        private readonly PartitionedRateLimiter<IPAddress> _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(
            client => RateLimitPartition.GetFixedWindowLimiter(client, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = FailuresPerWindow,
                Window = FailureWindow,
                QueueLimit = 0,
            }));

        /// <summary>Whether the address may still try (takes nothing from its allowance).</summary>
        public RateLimitLease Check(IPAddress client) => _failures.AttemptAcquire(client, 0);

        public RateLimitLease CountFailure(IPAddress client) => _failures.AttemptAcquire(client, 1);

        public void Dispose() => _failures.Dispose();
    }
}
