using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace PuffinOffset.StripeSandbox;

/// <summary>Checkout sessions created in this sandbox, as Stripe's JSON objects (snake_case keys).</summary>
public sealed class CheckoutSessionStore(TimeProvider time)
{
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly ConcurrentDictionary<string, Dictionary<string, object?>> _sessions = new();
    private readonly ConcurrentDictionary<string, CheckoutLineItem> _lineItems = new();
    private readonly Lock _updateLock = new();

    public IReadOnlyCollection<Dictionary<string, object?>> All => _sessions.Values.ToArray();

    public Dictionary<string, object?>? Find(string id) => _sessions.TryGetValue(id, out var session) ? session : null;

    /// <summary>Builds an open, unpaid session from validated form parameters.</summary>
    public Dictionary<string, object?> Create(IReadOnlyDictionary<string, string> form, string baseUrl)
    {
        var id = "cs_test_a1" + RandomNumberGenerator.GetString(IdAlphabet, 56);
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        var amount = long.Parse(form["line_items[0][price_data][unit_amount]"]) * long.Parse(form.GetValueOrDefault("line_items[0][quantity]", "1"));
        var metadata = form.Where(p => p.Key.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(p => p.Key["metadata[".Length..^1], p => p.Value);
        var session = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["object"] = "checkout.session",
            ["amount_subtotal"] = amount,
            ["amount_total"] = amount,
            ["cancel_url"] = form.GetValueOrDefault("cancel_url"),
            ["client_reference_id"] = form.GetValueOrDefault("client_reference_id"),
            ["created"] = created,
            ["currency"] = form["line_items[0][price_data][currency]"],
            ["customer"] = null,
            ["customer_creation"] = "if_required",
            ["customer_details"] = null,
            ["customer_email"] = form.GetValueOrDefault("customer_email"),
            ["expires_at"] = form.TryGetValue("expires_at", out var expiresAt) ? long.Parse(expiresAt) : created + 24 * 3600,
            ["livemode"] = false,
            ["metadata"] = metadata,
            ["mode"] = form["mode"],
            ["payment_intent"] = null,
            ["payment_method_types"] = new[] { "card", "link" },
            ["payment_status"] = "unpaid",
            ["status"] = "open",
            ["success_url"] = form.GetValueOrDefault("success_url"),
            ["ui_mode"] = "hosted_page",
            // Where a hosted checkout page would live in this sandbox.
            ["url"] = $"{baseUrl.TrimEnd('/')}/c/pay/{id}",
        };
        _lineItems[id] = new CheckoutLineItem(form["line_items[0][price_data][product_data][name]"],
            form.GetValueOrDefault("line_items[0][price_data][product_data][description]"), amount);
        _sessions[id] = session;
        return session;
    }

    /// <summary>What the hosted checkout page shows (Stripe keeps line items out of the session object).</summary>
    public CheckoutLineItem? LineItemOf(string id) => _lineItems.GetValueOrDefault(id);

    /// <summary>
    /// Changes a copy of the session and swaps it in, so a reader (or an event already built from the old
    /// object) never sees a half-changed session; <paramref name="change"/> returns false to refuse.
    /// </summary>
    public Dictionary<string, object?>? Update(string id, Func<Dictionary<string, object?>, bool> change)
    {
        lock (_updateLock)
        {
            if (Find(id) is not { } current)
            {
                return null;
            }

            var copy = new Dictionary<string, object?>(current);
            if (!change(copy))
            {
                return null;
            }

            _sessions[id] = copy;
            return copy;
        }
    }
}

public sealed record CheckoutLineItem(string Name, string? Description, long Amount);
