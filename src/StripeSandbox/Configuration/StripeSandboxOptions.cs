namespace PuffinOffset.StripeSandbox.Configuration;

/// <summary>
/// The sandbox's settings, from environment variables (see <see cref="StripeSandboxConfiguration"/>).
/// Tests hosting the sandbox in-process may change them after start (e.g. the webhook URL once the Api listens).
/// </summary>
public sealed class StripeSandboxOptions
{
    /// <summary>Where events are POSTed (the Api's <c>/api/webhooks/stripe</c>); none → events are only logged.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>The endpoint's signing secret (<c>whsec_…</c>), the same the Api verifies with.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>
    /// False (<c>STRIPE_SANDBOX_WEBHOOKS=off</c>) records events but delivers none, as a disabled endpoint
    /// would, so a person can watch the Api's reconciliation find the payment by asking the API instead.
    /// </summary>
    public bool DeliverWebhooks { get; set; } = true;

    /// <summary>Delivers every event twice (two signed requests, same event id) to show the Api's idempotency.</summary>
    public bool DeliverTwice { get; set; }

    /// <summary>Attempts per event, the first included; Stripe retries for up to three days, a sandbox need not.</summary>
    public int WebhookMaxAttempts { get; set; } = 8;

    /// <summary>The wait before the first retry; it doubles each time up to <see cref="WebhookMaxRetryDelay"/>.</summary>
    public TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan WebhookMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The Api the storefront calls over CORS (<c>PUFFIN_API_URL</c>).</summary>
    public Uri? PuffinApiUrl { get; set; }
}
