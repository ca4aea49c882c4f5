using System.Security.Cryptography;
using System.Text;

namespace PuffinOffset.StripeSandbox;

/// <summary>
/// Stripe's <c>Stripe-Signature</c> scheme, written independently of Stripe.net so that tests of the
/// Api's verification are not checked by the same code: <c>v1 = hex(HMAC-SHA256(secret, "{t}.{body}"))</c>,
/// keyed with the whole <c>whsec_…</c> string.
/// </summary>
public static class WebhookSigner
{
    public static string Signature(string secret, long timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    /// <summary><c>t=…,v1=…[,v1=…]</c> with one signature per secret (as Stripe sends while a secret is rolled).</summary>
    public static string Header(string body, DateTimeOffset signedAt, params string[] secrets)
    {
        var timestamp = signedAt.ToUnixTimeSeconds();
        return $"t={timestamp}," + string.Join(',', secrets.Select(secret => $"v1={Signature(secret, timestamp, body)}"));
    }
}
