using System.Collections.Concurrent;
using System.Security.Cryptography;
using PuffinOffset.StripeSandbox.Webhooks;

namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>
/// What can still happen to a payment Checkout took: the merchant refunds it from the dashboard (in full or in
/// part: <c>charge.refunded</c>), or the customer's bank disputes it (<c>charge.dispute.created</c>, later
/// <c>charge.dispute.closed</c> as won or lost). Each method returns the event it raised, or null when the
/// payment does not allow it (not paid, already refunded in full, no dispute open), so a double click raises one event.
/// </summary>
public sealed class PaidPayments(CheckoutSessionStore sessions, WebhookQueue webhooks, TimeProvider time)
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly ConcurrentDictionary<string, ChargeState> _charges = new();
    private readonly Lock _lock = new();

    /// <summary>Sessions whose payment was taken, oldest first.</summary>
    public IReadOnlyList<Dictionary<string, object?>> Paid =>
        sessions.All.Where(s => s["payment_status"] as string == "paid" && s["payment_intent"] is string)
            .OrderBy(s => Convert.ToInt64(s["created"])).ToArray();

    public ChargeState? StateOf(string sessionId) => _charges.GetValueOrDefault(sessionId);

    /// <summary>Refunds <paramref name="amount"/> cents, or everything still refundable when null.</summary>
    public StripeEvent? Refund(string sessionId, long? amount = null)
    {
        lock (_lock)
        {
            if (ChargeOf(sessionId) is not { } charge || charge.Refunded)
            {
                return null;
            }

            var left = charge.Amount - charge.AmountRefunded;

            var refund = new RefundRecord("re_3" + RandomNumberGenerator.GetString(IdAlphabet, 24),
                Math.Clamp(amount ?? left, 1, left), time.GetUtcNow().ToUnixTimeSeconds());
            var before = charge;
            charge = _charges[sessionId] = charge with { Refunds = [refund, .. charge.Refunds] };
            var previous = new Dictionary<string, object?> { ["amount_refunded"] = before.AmountRefunded };
            if (charge.Refunded)
            {
                previous["refunded"] = false;
            }

            return webhooks.RaisePaymentEvent("charge.refunded", PaymentObjects.Charge(charge), sessionId, previous,
                requestId: "req_" + RandomNumberGenerator.GetString(IdAlphabet, 14));
        }
    }

    public StripeEvent? OpenDispute(string sessionId)
    {
        lock (_lock)
        {
            if (ChargeOf(sessionId) is not { DisputeStatus: null } charge)
            {
                return null;
            }

            charge = _charges[sessionId] = charge with
            {
                DisputeId = "dp_1" + RandomNumberGenerator.GetString(IdAlphabet, 24),
                DisputeStatus = "needs_response",
                DisputedAt = time.GetUtcNow().ToUnixTimeSeconds(),
            };
            return webhooks.RaisePaymentEvent("charge.dispute.created", PaymentObjects.Dispute(charge), sessionId, null, requestId: null);
        }
    }

    public StripeEvent? CloseDispute(string sessionId, bool won)
    {
        lock (_lock)
        {
            if (ChargeOf(sessionId) is not { DisputeStatus: "needs_response" } charge)
            {
                return null;
            }

            charge = _charges[sessionId] = charge with { DisputeStatus = won ? "won" : "lost" };
            return webhooks.RaisePaymentEvent("charge.dispute.closed", PaymentObjects.Dispute(charge), sessionId,
                new Dictionary<string, object?> { ["status"] = "needs_response" }, requestId: null);
        }
    }

    /// <summary>The charge behind a paid session, created the first time it is needed (Stripe made it at payment).</summary>
    private ChargeState? ChargeOf(string sessionId)
    {
        if (_charges.TryGetValue(sessionId, out var known))
        {
            return known;
        }

        if (sessions.Find(sessionId) is not { } session || session["payment_status"] as string != "paid" || session["payment_intent"] is not string paymentIntent)
        {
            return null;
        }

        var details = session["customer_details"] as IReadOnlyDictionary<string, object?>;
        // Stripe gives a PaymentIntent's charge the same suffix: pi_3Abc… → ch_3Abc….
        return _charges[sessionId] = new ChargeState("ch_" + paymentIntent["pi_".Length..], paymentIntent,
            Convert.ToInt64(session["amount_total"]), (string)session["currency"]!, details?["email"] as string,
            time.GetUtcNow().ToUnixTimeSeconds(), [], null, null, 0);
    }
}

public sealed record RefundRecord(string Id, long Amount, long Created);

public sealed record ChargeState(
    string ChargeId,
    string PaymentIntentId,
    long Amount,
    string Currency,
    string? Email,
    long Created,
    IReadOnlyList<RefundRecord> Refunds,
    string? DisputeId,
    string? DisputeStatus,
    long DisputedAt)
{
    public long AmountRefunded => Refunds.Sum(r => r.Amount);

    public bool Refunded => AmountRefunded >= Amount;
}
