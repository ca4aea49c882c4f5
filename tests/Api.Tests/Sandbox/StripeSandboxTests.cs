using System.Net;
using Stripe;
using Stripe.Checkout;
using PuffinOffset.StripeSandbox;

namespace PuffinOffset.Api.Tests.Sandbox;

/// <summary>The fake answers Stripe.net as Stripe does, or the Api's tests against it prove little.</summary>
public sealed class StripeSandboxTests : IAsyncLifetime
{
    private StripeSandboxHost _sandbox = null!;

    public async Task InitializeAsync() => _sandbox = await StripeSandboxHost.StartAsync();

    public async Task DisposeAsync() => await _sandbox.DisposeAsync();

    private SessionService Sessions(string key = "sk_test_TESTONLY") =>
        new(new StripeClient(key, httpClient: new SystemNetHttpClient(maxNetworkRetries: 0), apiBase: _sandbox.BaseAddress.ToString().TrimEnd('/')));

    private static SessionCreateOptions Options(long cents = 2500) => new()
    {
        Mode = "payment",
        SuccessUrl = "https://shop.example.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        CancelUrl = "https://shop.example.test/checkout/cancel",
        ClientReferenceId = "order-1",
        Metadata = new Dictionary<string, string> { ["orderId"] = "order-1" },
        LineItems =
        [
            new SessionLineItemOptions
            {
                Quantity = 1,
                PriceData = new SessionLineItemPriceDataOptions
                {
                    Currency = "usd",
                    UnitAmount = cents,
                    ProductData = new SessionLineItemPriceDataProductDataOptions { Name = "Offset" },
                },
            },
        ],
    };

    [Fact]
    public async Task A_created_session_deserialises_in_stripe_net_and_can_be_read_back()
    {
        var session = await Sessions().CreateAsync(Options());

        Assert.StartsWith("cs_test_", session.Id);
        Assert.Equal((2500L, "usd", "open", "unpaid", "order-1"), (session.AmountTotal, session.Currency, session.Status, session.PaymentStatus, session.Metadata["orderId"]));
        Assert.Equal("order-1", session.ClientReferenceId);
        Assert.Equal(session.Id, (await Sessions().GetAsync(session.Id)).Id);
    }

    [Fact]
    public async Task The_same_idempotency_key_and_parameters_replay_the_first_response()
    {
        var first = await Sessions().CreateAsync(Options(), new RequestOptions { IdempotencyKey = "k1" });
        var second = await Sessions().CreateAsync(Options(), new RequestOptions { IdempotencyKey = "k1" });

        Assert.Equal(first.Id, second.Id);
        Assert.Equal("true", second.StripeResponse.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(_sandbox.Sessions.All);
    }

    [Fact]
    public async Task The_same_idempotency_key_with_other_parameters_is_an_idempotency_error()
    {
        await Sessions().CreateAsync(Options(2500), new RequestOptions { IdempotencyKey = "k1" });

        var error = await Assert.ThrowsAsync<StripeException>(() => Sessions().CreateAsync(Options(2600), new RequestOptions { IdempotencyKey = "k1" }));

        Assert.Equal((HttpStatusCode.BadRequest, "idempotency_error"), (error.HttpStatusCode, error.StripeError.Type));
    }

    [Fact]
    public async Task Missing_parameters_and_keys_fail_as_stripe_fails()
    {
        var missing = await Assert.ThrowsAsync<StripeException>(() => Sessions().CreateAsync(new SessionCreateOptions { Mode = "payment" }));
        Assert.Equal((HttpStatusCode.BadRequest, "parameter_missing"), (missing.HttpStatusCode, missing.StripeError.Code));

        var unauthorised = await Assert.ThrowsAsync<StripeException>(() => Sessions("pk_test_not_a_secret").CreateAsync(Options()));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.HttpStatusCode);

        var unknown = await Assert.ThrowsAsync<StripeException>(() => Sessions().GetAsync("cs_test_nope"));
        Assert.Equal((HttpStatusCode.NotFound, "resource_missing"), (unknown.HttpStatusCode, unknown.StripeError.Code));
    }

    [Fact]
    public async Task Injected_faults_answer_before_anything_is_saved()
    {
        _sandbox.Faults.FailNext(1, 503);

        var failed = await Assert.ThrowsAsync<StripeException>(() => Sessions().CreateAsync(Options(), new RequestOptions { IdempotencyKey = "k1" }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.HttpStatusCode);

        var retried = await Sessions().CreateAsync(Options(), new RequestOptions { IdempotencyKey = "k1" });
        Assert.Single(_sandbox.Sessions.All);
        Assert.Equal(retried.Id, _sandbox.Sessions.All.Single()["id"]);
        Assert.Equal([503, 200], _sandbox.Requests.All.Select(r => r.Status));
    }

    [Fact]
    public void The_webhook_signer_matches_the_worked_example_of_the_signing_reference() =>
        Assert.Equal("c3c0c8376f523fc1ba0fa662853a1ea304caa3d07e5f9e0cf33274bd4d043d97",
            WebhookSigner.Signature("whsec_TESTONLY0123456789abcdefghijABCDEFGHIJ", 1793613890, """{"id":"evt_test_webhook","object":"event"}"""));
}
