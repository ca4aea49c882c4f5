namespace PuffinOffset.Api.Configuration;

/// <summary>Where the Api reads portfolio prices (<c>WREN_API_BASE</c>, optional <c>WREN_API_TOKEN</c>).</summary>
public sealed class WrenPricingOptions
{
    public Uri ApiBase { get; set; } = new("https://www.wren.co");

    /// <summary>Optional: without it Wren lists only its preset portfolios.</summary>
    public string? ApiToken { get; set; }

    /// <summary>How long a fetched price list is fresh; after that it is refetched, and served stale if Wren is down.</summary>
    public TimeSpan PriceListTtl { get; set; } = TimeSpan.FromMinutes(10);
}
