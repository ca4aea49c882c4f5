using PuffinOffset.StripeSandbox.HostedCheckout;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>Test controls for events: what was raised and delivered, and Stripe's expire call.</summary>
public static class WebhookControls
{
    public static IEndpointRouteBuilder MapWebhookControls(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_sandbox/events", (EventLog log) => Results.Ok(log.Events.Select(e => new { e.Id, e.Type, e.SessionId, e.Created })));
        app.MapGet("/_sandbox/webhooks", (EventLog log) => Results.Ok(log.Attempts));
        // Stripe's own endpoint for expiring an open session (no auth check needed for the sandbox's callers).
        app.MapPost("/v1/checkout/sessions/{id}/expire", (string id, HostedCheckoutSessions checkout, CheckoutSessionStore sessions) =>
            checkout.Expire(id) is { } session ? Results.Json(session)
            : sessions.Find(id) is null
                ? StripeError.Create(404, "invalid_request_error", "resource_missing", $"No such checkout.session: '{id}'", "id")
                : StripeError.Create(400, "invalid_request_error", "checkout_session_not_open", "Only Checkout Sessions with a status of `open` can be expired."));
        return app;
    }
}
