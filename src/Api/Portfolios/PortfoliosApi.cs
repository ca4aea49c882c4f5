using Microsoft.AspNetCore.Http.HttpResults;

namespace PuffinOffset.Api.Portfolios;

public static class PortfoliosApi
{
    public static IEndpointRouteBuilder MapPortfoliosApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/portfolios", GetAsync).WithName("GetPortfolios").WithTags("Portfolios");
        return api;
    }

    public static async Task<Results<Ok<IReadOnlyList<Portfolio>>, ProblemHttpResult>> GetAsync(PriceList prices, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await prices.GetAsync(cancellationToken));
        }
        catch (PriceListUnavailableException)
        {
            return PriceListProblem.Unavailable();
        }
    }
}

public static class PriceListProblem
{
    public static ProblemHttpResult Unavailable() => TypedResults.Problem(
        "The portfolio price list cannot be reached right now. Please try again shortly.",
        statusCode: StatusCodes.Status503ServiceUnavailable, title: "Prices unavailable");
}
