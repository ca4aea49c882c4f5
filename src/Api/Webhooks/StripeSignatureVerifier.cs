using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;

namespace PuffinOffset.Api.Webhooks;

public enum SignatureFailure { None, MissingHeader, Invalid, NotAnEvent }

/// <summary>
/// Stripe's signature check on the raw body against every configured secret, so both the old and the new secret
/// verify while a secret is being rolled; then one parse of the fields we use. The checks are Stripe.net's
/// <c>EventUtility.ValidateSignature</c>'s (docs/stripe-webhooks.md): the header is <c>key=value</c> items separated by
/// commas, an item without <c>=</c> fails it whole; the first <c>t</c> and HMAC-SHA256 of <c>{t}.{body}</c> as
/// lower-case hex, compared in constant time with every <c>v1</c>; <c>t</c> at most 300 s from now either way.
/// Done on spans, without the strings, lookups and per-call HMAC object Stripe.net allocates.
/// </summary>
public sealed class StripeSignatureVerifier
{
    public const long ToleranceSeconds = 300;

    private const int HashHexLength = 64;

    private readonly TimeProvider time;
    private readonly byte[][] keys;

    public StripeSignatureVerifier(IOptions<StripeOptions> options, TimeProvider time)
    {
        this.time = time;
        keys = [.. options.Value.WebhookSecrets.Select(SecretKey).OfType<byte[]>()];
    }

    public (StripeWebhookEvent? Event, SignatureFailure Failure) Verify(StripeWebhookBody body, string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, SignatureFailure.MissingHeader);
        }

        if (!IsSigned(body, header.AsSpan().Trim()))
        {
            return (null, SignatureFailure.Invalid);
        }

        // Signed by a secret we hold, but maybe not an event we can read.
        return StripeWebhookEvent.TryRead(body.Json) is { } stripeEvent ? (stripeEvent, SignatureFailure.None) : (null, SignatureFailure.NotAnEvent);
    }

    private bool IsSigned(StripeWebhookBody body, ReadOnlySpan<char> header)
    {
        if (!TryFindTimestamp(header, out var t)
            || !long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var signedAt)
            || Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - signedAt) > ToleranceSeconds)
        {
            return false;
        }

        // "{t}." exactly as the header spells t, in front of the body without copying it.
        Span<byte> prefix = stackalloc byte[StripeWebhookBody.Headroom];
        if (!Encoding.UTF8.TryGetBytes(t, prefix[..^1], out var written))
        {
            return false;
        }

        prefix[written] = (byte)'.';
        var payload = body.SignedPayload(prefix[..(written + 1)]);
        Span<byte> hash = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Span<char> expected = stackalloc char[HashHexLength];
        foreach (var key in keys)
        {
            HMACSHA256.HashData(key, payload, hash);
            Convert.TryToHexStringLower(hash, expected, out _);
            if (HasSignature(header, expected))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first <c>t</c>; false when there is none or an item has no <c>=</c> (Stripe.net rejects the whole header then).</summary>
    private static bool TryFindTimestamp(ReadOnlySpan<char> header, out ReadOnlySpan<char> timestamp)
    {
        timestamp = default;
        var found = false;
        foreach (var range in header.Split(','))
        {
            var item = header[range].Trim();
            var equals = item.IndexOf('=');
            if (equals < 0)
            {
                return false;
            }

            if (!found && item[..equals].SequenceEqual("t"))
            {
                timestamp = item[(equals + 1)..];
                found = true;
            }
        }

        return found;
    }

    private static bool HasSignature(ReadOnlySpan<char> header, ReadOnlySpan<char> expected)
    {
        foreach (var range in header.Split(','))
        {
            var item = header[range].Trim();
            var equals = item.IndexOf('=');
            if (item[..equals].SequenceEqual("v1") && item.Length - equals - 1 == expected.Length
                && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(item[(equals + 1)..]), MemoryMarshal.AsBytes(expected)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The secret's UTF-8 bytes; null for one that cannot be encoded, which then verifies nothing (as in Stripe.net).</summary>
    private static byte[]? SecretKey(string secret)
    {
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetBytes(secret);
        }
        catch (EncoderFallbackException)
        {
            return null;
        }
    }
}
