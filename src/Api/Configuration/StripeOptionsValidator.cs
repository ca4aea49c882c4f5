using Microsoft.Extensions.Options;

namespace PuffinOffset.Api.Configuration;

/// <summary>Names the variable behind each problem; never echoes a secret's value.</summary>
public sealed class StripeOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<StripeOptions>
{
    public ValidateOptionsResult Validate(string? name, StripeOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SecretKey))
        {
            failures.Add("STRIPE_SECRET_KEY is required: the Stripe secret key (sk_test_… or sk_live_…).");
        }
        else if (!options.SecretKey.StartsWith("sk_", StringComparison.Ordinal) && !options.SecretKey.StartsWith("rk_", StringComparison.Ordinal))
        {
            failures.Add("STRIPE_SECRET_KEY must be a Stripe secret or restricted key (sk_… or rk_…).");
        }

        if (options.WebhookSecrets.Count == 0)
        {
            failures.Add("STRIPE_WEBHOOK_SECRET is required: the webhook signing secret (whsec_…); a comma-separated list during rotation.");
        }
        else if (options.WebhookSecrets.Any(secret => !secret.StartsWith("whsec_", StringComparison.Ordinal)))
        {
            failures.Add("STRIPE_WEBHOOK_SECRET must contain only signing secrets that start with whsec_.");
        }

        if (options.ApiBase.Scheme is not ("http" or "https"))
        {
            failures.Add("STRIPE_API_BASE must be an http(s) URL.");
        }
        else if (ClearTextUpstream.IsRefused(options.ApiBase, environment))
        {
            failures.Add(ClearTextUpstream.Refusal("STRIPE_API_BASE"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
