using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PuffinOffset.StripeSandbox.Configuration;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.StripeSandbox.Webhooks;
using PuffinOffset.TestSupport;
using Stripe;
using Stripe.Checkout;

namespace PuffinOffset.StripeSandbox.Tests.Support;

/// <summary>Per test: the sandbox on Kestrel, delivering to a <see cref="WebhookReceiver"/>; sessions created with Stripe.net.</summary>
public abstract class SandboxTestBase : IAsyncLifetime
{
    public const string WebhookSecret = "whsec_TESTONLY0123456789abcdefghijABCDEFGHIJ";
    public const string ShopOrigin = "https://shop.example.test";

    protected StripeSandboxHost Sandbox { get; private set; } = null!;
    protected WebhookReceiver Receiver { get; private set; } = null!;
    protected StripeSandboxOptions Options => Sandbox.Services.GetRequiredService<IOptions<StripeSandboxOptions>>().Value;
    protected HostedCheckoutSessions Checkout => Sandbox.Services.GetRequiredService<HostedCheckoutSessions>();
    protected EventLog Events => Sandbox.Services.GetRequiredService<EventLog>();

    /// <summary>Settings the test changes before any event is raised.</summary>
    protected virtual void Configure(StripeSandboxOptions options)
    {
    }

    public async Task InitializeAsync()
    {
        Sandbox = await StripeSandboxHost.StartAsync();
        Receiver = await WebhookReceiver.StartAsync();
        Options.WebhookUrl = Receiver.Url;
        Options.WebhookSecret = WebhookSecret;
        Options.WebhookRetryDelay = TimeSpan.FromMilliseconds(50);
        Configure(Options);
    }

    public async Task DisposeAsync()
    {
        await Sandbox.DisposeAsync();
        await Receiver.DisposeAsync();
    }

    /// <summary>The sandbox's pages as a browser sees them, redirects not followed.</summary>
    protected HttpClient Browser => new(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Sandbox.BaseAddress };

    /// <summary>Submits the hosted checkout page of <paramref name="sessionId"/> (<c>card</c> or <c>delayed</c>).</summary>
    protected Task<HttpResponseMessage> SubmitAsync(string sessionId, string outcome, string email = "") =>
        Browser.PostAsync($"/c/pay/{sessionId}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["outcome"] = outcome, ["email"] = email, ["name"] = "Test Buyer",
        }));

    /// <summary>Stripe.net pointed at the sandbox, without its own retries (so each call is one request).</summary>
    protected SessionService Sessions(string secretKey = "sk_test_TESTONLYsecretkey") =>
        new(new StripeClient(secretKey, httpClient: new SystemNetHttpClient(maxNetworkRetries: 0), apiBase: Sandbox.BaseAddress.ToString().TrimEnd('/')));

    /// <summary>The parameters the Api sends for one order (one line item of <paramref name="amount"/> cents).</summary>
    protected static SessionCreateOptions CheckoutOptions(string orderId, string? customerEmail = "buyer@example.com", long amount = 2500) => new()
    {
        Mode = "payment",
        ClientReferenceId = orderId,
        CustomerEmail = customerEmail,
        Metadata = new Dictionary<string, string> { ["orderId"] = orderId },
        SuccessUrl = $"{ShopOrigin}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        CancelUrl = $"{ShopOrigin}/checkout/cancel",
        LineItems =
        [
            new SessionLineItemOptions
            {
                Quantity = 1,
                PriceData = new SessionLineItemPriceDataOptions
                {
                    Currency = "usd",
                    UnitAmount = amount,
                    ProductData = new SessionLineItemPriceDataProductDataOptions { Name = "Carbon offset: 2.5 t CO2e" },
                },
            },
        ],
    };

    /// <summary>A session created the way the Api creates it (Stripe.net, form-encoded, Idempotency-Key).</summary>
    protected async Task<Session> CreateSessionAsync(string? customerEmail = "buyer@example.com", long amount = 2500)
    {
        var orderId = Guid.NewGuid().ToString();
        return await Sessions().CreateAsync(CheckoutOptions(orderId, customerEmail, amount),
            new RequestOptions { IdempotencyKey = $"checkout-create-{orderId}" });
    }

    /// <summary>Waits until the receiver has <paramref name="count"/> requests.</summary>
    protected async Task<IReadOnlyList<ReceivedWebhook>> ReceivedAsync(int count) =>
        await Eventually.ValueAsync(() => Task.FromResult(Receiver.Received), r => r.Count >= count, TimeSpan.FromSeconds(10),
            $"{count} webhook requests");

    /// <summary>Verifies a delivery exactly as the Api does (Stripe.net, default 300 s tolerance, strict API version).</summary>
    protected static Event Verify(ReceivedWebhook webhook) => EventUtility.ConstructEvent(webhook.Body, webhook.SignatureHeader, WebhookSecret);

    protected static string EventType(ReceivedWebhook webhook) => JsonDocument.Parse(webhook.Body).RootElement.GetProperty("type").GetString()!;
}
