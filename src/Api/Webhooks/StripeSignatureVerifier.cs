using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using Stripe;

namespace PuffinOffset.Api.Webhooks;

public enum SignatureFailure { None, MissingHeader, Invalid, NotAnEvent }

/// <summary>
/// Stripe.net's signature check (HMAC of <c>t.body</c>, 300 s tolerance both ways) on the raw body against
/// every configured secret, so both the old and the new secret verify while a secret is being rolled; then
/// one parse of the fields we use. Stripe.net's own event model is not built: it parsed the body a second time.
/// </summary>
public sealed class StripeSignatureVerifier(IOptions<StripeOptions> options, TimeProvider time)
{
    public const long ToleranceSeconds = 300;

    public (StripeWebhookEvent? Event, SignatureFailure Failure) Verify(string json, string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, SignatureFailure.MissingHeader);
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (!options.Value.WebhookSecrets.Any(secret => IsSignedWith(json, header, secret, now)))
        {
            return (null, SignatureFailure.Invalid);
        }

        // Signed by a secret we hold, but maybe not an event we can read.
        return StripeWebhookEvent.TryRead(json) is { } stripeEvent ? (stripeEvent, SignatureFailure.None) : (null, SignatureFailure.NotAnEvent);
    }

    private static bool IsSignedWith(string json, string header, string secret, long now)
    {
        try
        {
            EventUtility.ValidateSignature(json, header, secret, ToleranceSeconds, now);
            return true;
        }
        catch (StripeException)
        {
            return false;
        }
    }
}
