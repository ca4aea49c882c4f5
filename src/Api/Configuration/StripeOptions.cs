namespace PuffinOffset.Api.Configuration;

/// <summary>Stripe settings, from <c>STRIPE_*</c> variables.</summary>
public sealed class StripeOptions
{
    public string SecretKey { get; set; } = "";

    /// <summary>Every accepted webhook signing secret; more than one while a secret is being rolled.</summary>
    public IReadOnlyList<string> WebhookSecrets { get; set; } = [];

    public string? PublishableKey { get; set; }

    public Uri ApiBase { get; set; } = new("https://api.stripe.com");
}
