namespace PuffinOffset.Api.Configuration;

public sealed class CheckoutOptions
{
    /// <summary>Session creations allowed per client IP per minute; 0 turns the limit off.</summary>
    public int RateLimitPerMinute { get; set; } = 30;
}
