using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>
/// One event as Stripe sends it: the JSON is serialised once, and every delivery (retries and the
/// duplicate of <c>STRIPE_SANDBOX_DELIVER_TWICE</c>) sends these exact bytes under the same event id.
/// </summary>
public sealed record StripeEvent(string Id, string Type, string SessionId, DateTimeOffset Created, string Json, ActivityContext Cause)
{
    /// <summary>The API version Stripe.net 53.1.0 pins; the Api's webhook endpoint would be set to it in Stripe's dashboard.</summary>
    public const string ApiVersion = "2026-10-28.endive";

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>An event about a Checkout session, with the session object as it is now.</summary>
    public static StripeEvent ForCheckoutSession(string type, IReadOnlyDictionary<string, object?> session, DateTimeOffset now, bool endpointConfigured)
    {
        var id = "evt_1" + RandomNumberGenerator.GetString(IdAlphabet, 24);
        var envelope = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = ApiVersion,
            ["created"] = now.ToUnixTimeSeconds(),
            ["data"] = new Dictionary<string, object?> { ["object"] = session },
            ["livemode"] = false,
            ["pending_webhooks"] = endpointConfigured ? 1 : 0,
            // Checkout's own events carry no API request (see the fixtures).
            ["request"] = new Dictionary<string, object?> { ["id"] = null, ["idempotency_key"] = null },
            ["type"] = type,
        };
        return new StripeEvent(id, type, (string)session["id"]!, now, JsonSerializer.Serialize(envelope, Indented),
            Activity.Current?.Context ?? default);
    }
}
