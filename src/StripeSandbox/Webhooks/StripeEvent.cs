using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>
/// One event as Stripe sends it: the JSON is serialised once, and every delivery (retries and the
/// duplicate of <c>STRIPE_SANDBOX_DELIVER_TWICE</c>) sends these exact bytes under the same event id.
/// </summary>
/// <param name="ForEndpoint">
/// Meant for a webhook endpoint (one is configured, or delivery is switched off as a disabled endpoint): until one
/// delivery succeeds, the Events API lists it under <c>delivery_success=false</c>.
/// </param>
public sealed record StripeEvent(string Id, string Type, string SessionId, DateTimeOffset Created, string Json, ActivityContext Cause, bool ForEndpoint = true)
{
    /// <summary>The API version Stripe.net 53.1.0 pins; the Api's webhook endpoint would be set to it in Stripe's dashboard.</summary>
    public const string ApiVersion = "2026-10-28.endive";

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>An event about a Checkout session, with the session object as it is now.</summary>
    public static StripeEvent ForCheckoutSession(string type, IReadOnlyDictionary<string, object?> session, DateTimeOffset now, bool endpointConfigured) =>
        // Checkout's own events carry no API request (see the fixtures).
        For(type, session, (string)session["id"]!, now, endpointConfigured, previousAttributes: null, requestId: null);

    /// <summary>
    /// An event about <paramref name="obj"/> (a session, a charge, a dispute) as it is now, filed under the Checkout
    /// session it belongs to; <paramref name="requestId"/> names the API or dashboard request that caused it, if any.
    /// </summary>
    public static StripeEvent For(string type, IReadOnlyDictionary<string, object?> obj, string sessionId, DateTimeOffset now,
        bool endpointConfigured, IReadOnlyDictionary<string, object?>? previousAttributes, string? requestId)
    {
        var id = "evt_1" + RandomNumberGenerator.GetString(IdAlphabet, 24);
        var data = new Dictionary<string, object?> { ["object"] = obj };
        if (previousAttributes is not null)
        {
            data["previous_attributes"] = previousAttributes;
        }

        var envelope = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = "event",
            ["api_version"] = ApiVersion,
            ["created"] = now.ToUnixTimeSeconds(),
            ["data"] = data,
            ["livemode"] = false,
            ["pending_webhooks"] = endpointConfigured ? 1 : 0,
            ["request"] = new Dictionary<string, object?> { ["id"] = requestId, ["idempotency_key"] = requestId is null ? null : Guid.NewGuid().ToString() },
            ["type"] = type,
        };
        return new StripeEvent(id, type, sessionId, now, JsonSerializer.Serialize(envelope, Indented), Activity.Current?.Context ?? default, endpointConfigured);
    }
}
