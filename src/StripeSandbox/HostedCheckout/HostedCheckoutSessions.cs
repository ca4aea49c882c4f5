using System.Collections.Concurrent;
using System.Security.Cryptography;
using PuffinOffset.StripeSandbox.Webhooks;

namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>The customer's details as the hosted page collects them.</summary>
public sealed record CheckoutCustomer(string Email, string Name);

/// <summary>
/// What a customer can do on Stripe's hosted page, and the session change and event each outcome
/// causes (Stripe's docs, "Checkout fulfillment"): pay by card → <c>checkout.session.completed</c>
/// (paid); pay with a delayed method → <c>completed</c> (unpaid), later
/// <c>async_payment_succeeded</c> or <c>async_payment_failed</c>; let it expire →
/// <c>checkout.session.expired</c>. Each method returns the changed session, or null when the session
/// is unknown or no longer allows that outcome (so a double click raises one event).
/// </summary>
public sealed class HostedCheckoutSessions(CheckoutSessionStore sessions, WebhookQueue webhooks, TimeProvider time)
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly ConcurrentDictionary<string, DateTimeOffset> _awaitingPayment = new();

    /// <summary>Sessions completed with a delayed method whose payment is neither confirmed nor failed yet.</summary>
    public IReadOnlyList<Dictionary<string, object?>> AwaitingPayment =>
        _awaitingPayment.OrderBy(p => p.Value).Select(p => sessions.Find(p.Key)).OfType<Dictionary<string, object?>>().ToArray();

    public Dictionary<string, object?>? PayByCard(string id, CheckoutCustomer customer) =>
        Complete(id, customer, "paid", delayed: false);

    public Dictionary<string, object?>? PayWithDelayedMethod(string id, CheckoutCustomer customer) =>
        Complete(id, customer, "unpaid", delayed: true);

    public Dictionary<string, object?>? ConfirmDelayedPayment(string id) => SettleDelayedPayment(id, succeeded: true);

    public Dictionary<string, object?>? FailDelayedPayment(string id) => SettleDelayedPayment(id, succeeded: false);

    /// <summary>The session times out unpaid (or is expired through the API); Stripe clears its url.</summary>
    public Dictionary<string, object?>? Expire(string id)
    {
        var session = sessions.Update(id, s =>
        {
            if (s["status"] as string != "open")
            {
                return false;
            }

            s["status"] = "expired";
            s["url"] = null;
            return true;
        });
        if (session is not null)
        {
            webhooks.RaiseCheckoutSessionEvent("checkout.session.expired", session);
        }

        return session;
    }

    /// <summary>Expires every open session whose <c>expires_at</c> has passed, as Stripe does on its own.</summary>
    public IReadOnlyList<string> ExpireDue(DateTimeOffset now) =>
        sessions.All
            .Where(s => s["status"] as string == "open" && Convert.ToInt64(s["expires_at"]) <= now.ToUnixTimeSeconds())
            .Select(s => Expire((string)s["id"]!))
            .OfType<Dictionary<string, object?>>()
            .Select(s => (string)s["id"]!)
            .ToArray();

    private Dictionary<string, object?>? Complete(string id, CheckoutCustomer customer, string paymentStatus, bool delayed)
    {
        var session = sessions.Update(id, s =>
        {
            if (s["status"] as string != "open")
            {
                return false;
            }

            s["status"] = "complete";
            s["payment_status"] = paymentStatus;
            // Stripe creates the PaymentIntent when the customer submits, for both kinds of method.
            s["payment_intent"] = "pi_3" + RandomNumberGenerator.GetString(IdAlphabet, 24);
            s["customer_details"] = CustomerDetails(customer);
            s["url"] = null;
            return true;
        });
        if (session is null)
        {
            return null;
        }

        webhooks.RaiseCheckoutSessionEvent("checkout.session.completed", session);
        if (delayed)
        {
            _awaitingPayment[id] = time.GetUtcNow();
        }

        return session;
    }

    private Dictionary<string, object?>? SettleDelayedPayment(string id, bool succeeded)
    {
        if (!_awaitingPayment.TryRemove(id, out _))
        {
            return null;
        }

        // A failed payment leaves the session complete and unpaid (see the async_payment_failed fixture).
        var session = sessions.Update(id, s =>
        {
            s["payment_status"] = succeeded ? "paid" : "unpaid";
            return true;
        })!;
        webhooks.RaiseCheckoutSessionEvent(
            succeeded ? "checkout.session.async_payment_succeeded" : "checkout.session.async_payment_failed", session);
        return session;
    }

    private static Dictionary<string, object?> CustomerDetails(CheckoutCustomer customer) => new()
    {
        ["address"] = new Dictionary<string, object?>
        {
            ["city"] = null, ["country"] = "US", ["line1"] = null, ["line2"] = null, ["postal_code"] = null, ["state"] = null,
        },
        ["business_name"] = null,
        ["email"] = customer.Email,
        ["individual_name"] = null,
        ["name"] = customer.Name,
        ["phone"] = null,
        ["tax_exempt"] = "none",
        ["tax_ids"] = Array.Empty<object>(),
    };
}
