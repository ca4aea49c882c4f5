using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;

namespace PuffinOffset.Api.Portfolios;

/// <summary>Reads Wren's public portfolio list (<c>GET /api/portfolios</c>, snake_case).</summary>
public sealed class WrenPortfolioClient(HttpClient http, IOptions<WrenPricingOptions> options)
{
    public async Task<IReadOnlyList<Portfolio>> GetPortfoliosAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.Value.ApiBase, "/api/portfolios"));
        if (options.Value.ApiToken is { } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var list = await response.Content.ReadFromJsonAsync<WrenPortfolioList>(cancellationToken)
            ?? throw new InvalidOperationException("Wren returned an empty portfolio list.");
        return list.Portfolios
            .Where(p => p.CostPerTon > 0)
            .Select(p => new Portfolio(p.Id, p.Name, p.Description, p.CostPerTon, "usd"))
            .ToList();
    }

    private sealed record WrenPortfolioList([property: JsonPropertyName("portfolios")] List<WrenPortfolio> Portfolios);

    private sealed record WrenPortfolio(
        [property: JsonPropertyName("id")] int Id,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("description")] string? Description,
        // decimal, not double: this number becomes money.
        [property: JsonPropertyName("cost_per_ton")] decimal CostPerTon);
}
