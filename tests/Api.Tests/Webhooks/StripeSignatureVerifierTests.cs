using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;
using Stripe;

namespace PuffinOffset.Api.Tests.Webhooks;

/// <summary>
/// The span-based check decides every header as Stripe.net's <c>EventUtility.ValidateSignature</c> (the former check)
/// does, against each configured secret, then reads the body as the former parse did.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class StripeSignatureVerifierTests
{
    private const string Secret = "whsec_TESTONLYverifier0123456789abcdefghij";
    private const string OtherSecret = "whsec_TESTONLYsecondSecretWhileRolling0123";
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);
    private static readonly long T = Now.ToUnixTimeSeconds();

    private static readonly string Body = StripeEventFixture.Raw(StripeEventFixture.CompletedPaid);

    public static TheoryData<string, string, string?> Cases()
    {
        var valid = WebhookSigner.Signature(Secret, T, Body);
        var other = WebhookSigner.Signature(OtherSecret, T, Body);
        string Signed(long t) => WebhookSigner.Signature(Secret, t, Body);
        return new()
        {
            { "signed now", Body, $"t={T},v1={valid}" },
            { "signed with the second secret", Body, $"t={T},v1={other}" },
            { "wrong secret", Body, $"t={T},v1={WebhookSigner.Signature("whsec_TESTONLYsomeoneElse000000000000000", T, Body)}" },
            { "body changed by one byte", Body.Replace("\"paid\"", "\"pain\""), $"t={T},v1={valid}" },
            { "trailing newline added", Body + "\n", $"t={T},v1={valid}" },
            { "signed exactly 300 s ago", Body, $"t={T - 300},v1={Signed(T - 300)}" },
            { "signed 301 s ago", Body, $"t={T - 301},v1={Signed(T - 301)}" },
            { "signed 300 s in the future", Body, $"t={T + 300},v1={Signed(T + 300)}" },
            { "signed 301 s in the future", Body, $"t={T + 301},v1={Signed(T + 301)}" },
            { "t changed after signing", Body, $"t={T + 1},v1={valid}" },
            { "only v0", Body, $"t={T},v0={valid}" },
            { "upper-case hex", Body, $"t={T},v1={valid.ToUpperInvariant()}" },
            { "signature one character short", Body, $"t={T},v1={valid[..^1]}" },
            { "signature with one more character", Body, $"t={T},v1={valid}0" },
            { "several v1, one matching", Body, $"t={T},v1={new string('0', 64)},v1={valid},v1={new string('a', 64)}" },
            { "extra v0", Body, $"t={T},v1={valid},v0={new string('6', 64)}" },
            { "spaces after commas", Body, $"t={T}, v1={valid}, v0={new string('6', 64)}" },
            { "spaces around the header", Body, $"  t={T},v1={valid}  " },
            { "items in another order", Body, $"v1={valid},t={T}" },
            { "two t, the first signed", Body, $"t={T},t={T + 5},v1={valid}" },
            { "two t, the second signed", Body, $"t={T + 5},t={T},v1={valid}" },
            { "item without =", Body, $"t={T},v1={valid},garbage" },
            { "empty item", Body, $"t={T},,v1={valid}" },
            { "trailing comma", Body, $"t={T},v1={valid}," },
            { "key with a space", Body, $"t ={T},v1={valid}" },
            { "value with = in it", Body, $"t={T},v1={valid},v2=a=b" },
            { "header without t", Body, $"v1={valid}" },
            { "header without signatures", Body, $"t={T}" },
            { "missing header", Body, null },
            { "empty header", Body, "" },
            { "white-space header", Body, "   " },
            { "signed body that is not JSON", "not json at all", $"t={T},v1={WebhookSigner.Signature(Secret, T, "not json at all")}" },
            { "signed JSON that is not an event", "{\"hello\":\"world\"}", $"t={T},v1={WebhookSigner.Signature(Secret, T, "{\"hello\":\"world\"}")}" },
            { "signed empty body", "", $"t={T},v1={WebhookSigner.Signature(Secret, T, "")}" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_header_is_decided_as_stripe_net_decides_it(string @case, string body, string? header)
    {
        var verifier = new StripeSignatureVerifier(Options.Create(new StripeOptions { WebhookSecrets = [Secret, OtherSecret] }), new FakeTimeProvider(Now));
        using var raw = StripeWebhookBody.From(body);

        var (stripeEvent, failure) = verifier.Verify(raw, header);

        Assert.Equal(FormerVerify(body, header), (stripeEvent, failure));
        Assert.True(@case.Length > 0);
    }

    [Fact]
    public void The_accepted_cases_are_accepted_and_the_rest_refused()
    {
        string[] accepted = ["signed now", "signed with the second secret", "signed exactly 300 s ago", "signed 300 s in the future",
            "several v1, one matching", "extra v0", "spaces after commas", "spaces around the header", "items in another order",
            "two t, the first signed", "value with = in it"];
        var verifier = new StripeSignatureVerifier(Options.Create(new StripeOptions { WebhookSecrets = [Secret, OtherSecret] }), new FakeTimeProvider(Now));

        foreach (var row in Cases())
        {
            var (@case, body, header) = ((string)row[0], (string)row[1], (string?)row[2]);
            using var raw = StripeWebhookBody.From(body);
            var failure = verifier.Verify(raw, header).Failure;
            Assert.True(accepted.Contains(@case) == (failure == SignatureFailure.None), $"{@case}: {failure}");
        }
    }

    [Fact]
    public void A_body_larger_than_the_first_read_and_prefixed_in_place_verifies()
    {
        var body = Body.Insert(Body.LastIndexOf('}'), ",\"padding\":\"" + new string('x', 100_000) + "\"");
        var verifier = new StripeSignatureVerifier(Options.Create(new StripeOptions { WebhookSecrets = [Secret] }), new FakeTimeProvider(Now));
        using var raw = StripeWebhookBody.From(body);

        Assert.Equal(SignatureFailure.None, verifier.Verify(raw, $"t={T},v1={WebhookSigner.Signature(Secret, T, body)}").Failure);
        Assert.Equal(body, System.Text.Encoding.UTF8.GetString(raw.Json)); // the prefix went before the body, not into it
    }

    /// <summary>The former check: Stripe.net per secret, then the former parse.</summary>
    private static (StripeWebhookEvent?, SignatureFailure) FormerVerify(string json, string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return (null, SignatureFailure.MissingHeader);
        }

        var signed = new[] { Secret, OtherSecret }.Any(secret =>
        {
            try
            {
                EventUtility.ValidateSignature(json, header, secret, StripeSignatureVerifier.ToleranceSeconds, T);
                return true;
            }
            catch (StripeException)
            {
                return false;
            }
        });
        if (!signed)
        {
            return (null, SignatureFailure.Invalid);
        }

        return JsonDocumentEventReader.TryRead(json) is { } stripeEvent ? (stripeEvent, SignatureFailure.None) : (null, SignatureFailure.NotAnEvent);
    }
}
