using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;

namespace PuffinOffset.Api.Security;

/// <summary>
/// Every error is RFC 9457 problem details with a human-readable detail and nothing internal (no
/// exception, stack trace or upstream text) — in Development too, so tests see what production sends.
/// </summary>
public static class ErrorResponses
{
    public static IServiceCollection AddSafeProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions.Remove("exception");
            problem.Extensions.Remove("errors.exception");
            if (context.Exception is not null || problem.Status >= 500 && problem.Detail is null)
            {
                problem.Title = "Internal error";
                problem.Detail = "Something went wrong on our side. Please try again later.";
            }

            problem.Detail ??= DefaultDetail(problem.Status);
            problem.Instance ??= context.HttpContext.Request.Path;
            if (context.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity.TraceId.ToString() is { } traceId)
            {
                problem.Extensions["traceId"] = traceId;
            }
        });
        // Malformed JSON must be a 400 problem, never an exception page.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = false);
        return services;
    }

    private static string DefaultDetail(int? status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request could not be read; check that the body is valid JSON of the documented shape.",
        StatusCodes.Status404NotFound => "There is nothing at this address.",
        StatusCodes.Status405MethodNotAllowed => "This address does not accept this HTTP method.",
        StatusCodes.Status413PayloadTooLarge => "The request body is too large.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
        _ => "The request could not be completed.",
    };

    public static IServiceCollection AddFrontendCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<FrontendOptions>>((cors, frontend) => cors.AddDefaultPolicy(policy => policy
                .WithOrigins(frontend.Value.Origins.Select(o => o.GetLeftPart(UriPartial.Authority)).ToArray())
                .WithMethods("GET", "POST")
                .WithHeaders("Content-Type", "Idempotency-Key")));
        return services;
    }
}
