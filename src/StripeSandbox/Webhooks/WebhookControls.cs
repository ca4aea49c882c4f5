using Microsoft.Extensions.Options;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.HostedCheckout;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>Test controls for events: what was raised and delivered, and Stripe's expire call.</summary>
public static class WebhookControls
{
    public static IEndpointRouteBuilder MapWebhookControls(this IEndpointRouteBuilder app)
    {
        app.MapGet("/_sandbox/events", (EventLog log) => Results.Ok(log.Events.Select(e => new { e.Id, e.Type, e.SessionId, e.Created })));
        app.MapGet("/_sandbox/webhooks", (EventLog log) => Results.Ok(log.Attempts));
        // STRIPE_SANDBOX_WEBHOOKS at run time: off, the endpoint is as if disabled and events wait undelivered
        // (GET /v1/events?delivery_success=false lists them), so a person can watch reconciliation find them.
        app.MapPut("/_sandbox/webhooks/delivery", (WebhookDeliverySwitch request, IOptions<StripeSandboxOptions> options) =>
        {
            options.Value.DeliverWebhooks = request.On;
            return Results.Ok(new { on = options.Value.DeliverWebhooks });
        });
        app.MapGet("/_sandbox/webhooks/delivery", (IOptions<StripeSandboxOptions> options) => Results.Ok(new { on = options.Value.DeliverWebhooks }));
        // Stripe's own endpoint for expiring an open session (no auth check needed for the sandbox's callers).
        app.MapPost("/v1/checkout/sessions/{id}/expire", (string id, HostedCheckoutSessions checkout, CheckoutSessionStore sessions) =>
            checkout.Expire(id) is { } session ? Results.Json(session)
            : sessions.Find(id) is null
                ? StripeError.Create(404, "invalid_request_error", "resource_missing", $"No such checkout.session: '{id}'", "id")
                : StripeError.Create(400, "invalid_request_error", "checkout_session_not_open", "Only Checkout Sessions with a status of `open` can be expired."));
        app.MapEventsApi();
        return app;
    }
}

/// <summary>Body of <c>PUT /_sandbox/webhooks/delivery</c>: <c>{"on": false}</c> switches delivery off.</summary>
public sealed record WebhookDeliverySwitch(bool On);
