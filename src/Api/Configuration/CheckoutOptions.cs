namespace PuffinOffset.Api.Configuration;

public sealed class CheckoutOptions
{
    /// <summary>Session creations allowed per client IP per minute; 0 turns the limit off.</summary>
    public int RateLimitPerMinute { get; set; } = 30;

    /// <summary>The <c>/api/admin/*</c> bearer token; the admin endpoints are off without it.</summary>
    public string? AdminApiKey { get; set; }

    public string DatabasePath { get; set; } = "data/orders.db";
}
