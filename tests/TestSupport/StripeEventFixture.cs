using System.Text.Json;

namespace PuffinOffset.TestSupport;

/// <summary>
/// A fixture from Fixtures/stripe-events (the exact bodies Stripe posts), with its session id, order id
/// and event id replaced by those of a real order, so the body is still byte-for-byte Stripe's layout.
/// </summary>
public static class StripeEventFixture
{
    public const string CompletedPaid = "checkout.session.completed.paid.json";
    public const string CompletedUnpaid = "checkout.session.completed.unpaid.json";
    public const string AsyncSucceeded = "checkout.session.async_payment_succeeded.json";
    public const string AsyncFailed = "checkout.session.async_payment_failed.json";
    public const string Expired = "checkout.session.expired.json";
    public const string PaymentIntentCreated = "payment_intent.created.json";
    public const string ChargeRefundedFull = "charge.refunded.full.json";
    public const string ChargeRefundedPartial = "charge.refunded.partial.json";
    public const string DisputeCreated = "charge.dispute.created.json";
    public const string DisputeClosed = "charge.dispute.closed.json";

    /// <summary>The payment intent every fixture's payment carries (Checkout sessions, charges, refunds, disputes).</summary>
    public const string PaymentIntentId = "pi_3TESTpaid0001IntentAbCd";

    public static string Raw(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "stripe-events", name));

    public static string For(string name, string sessionId, Guid orderId, string? eventId = null, string? apiVersion = null)
    {
        var body = Raw(name);
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var session = root.GetProperty("data").GetProperty("object");
        body = body.Replace(session.GetProperty("id").GetString()!, sessionId);
        if (session.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("orderId", out var fixtureOrder))
        {
            body = body.Replace($"\"{fixtureOrder.GetString()}\"", $"\"{orderId}\"");
        }

        if (eventId is not null)
        {
            body = body.Replace($"\"{root.GetProperty("id").GetString()}\"", $"\"{eventId}\"");
        }

        if (apiVersion is not null)
        {
            body = body.Replace($"\"api_version\": \"{root.GetProperty("api_version").GetString()}\"", $"\"api_version\": \"{apiVersion}\"");
        }

        return body;
    }

    /// <summary>A charge or dispute fixture about <paramref name="paymentIntentId"/> (and under <paramref name="eventId"/>).</summary>
    public static string ForPaymentIntent(string name, string paymentIntentId, string? eventId = null)
    {
        var body = Raw(name).Replace($"\"{PaymentIntentId}\"", $"\"{paymentIntentId}\"");
        return eventId is null ? body : body.Replace($"\"{EventId(body)}\"", $"\"{eventId}\"");
    }

    public static string EventId(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("id").GetString()!;
    }
}
