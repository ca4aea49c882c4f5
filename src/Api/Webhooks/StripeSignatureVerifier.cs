using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using Stripe;

namespace PuffinOffset.Api.Webhooks;

public enum SignatureFailure { None, MissingHeader, Invalid, NotAnEvent }

/// <summary>
/// Stripe.net's verification (HMAC of <c>t.body</c>, 300 s tolerance both ways) against every configured
/// secret, so both the old and the new secret verify while a secret is being rolled.
/// </summary>
public sealed class StripeSignatureVerifier(IOptions<StripeOptions> options, TimeProvider time)
{
    public const long ToleranceSeconds = 300;

    public (Event? Event, SignatureFailure Failure) Verify(string json, string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, SignatureFailure.MissingHeader);
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var secret in options.Value.WebhookSecrets)
        {
            Event stripeEvent;
            try
            {
                // Any API version is accepted here; the handler reads only the fields it needs.
                stripeEvent = EventUtility.ConstructEvent(json, header, secret, ToleranceSeconds, now, throwOnApiVersionMismatch: false);
            }
            catch (StripeException)
            {
                continue;
            }
            catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or System.Text.Json.JsonException or FormatException or OverflowException)
            {
                // Signed by a secret we hold, but not JSON we can read as an event.
                return (null, SignatureFailure.NotAnEvent);
            }

            return stripeEvent is { Id.Length: > 0, Type.Length: > 0, Object: "event" }
                ? (stripeEvent, SignatureFailure.None)
                : (null, SignatureFailure.NotAnEvent);
        }

        return (null, SignatureFailure.Invalid);
    }
}
