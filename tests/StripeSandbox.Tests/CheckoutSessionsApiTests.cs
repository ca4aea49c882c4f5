using System.Net;
using Stripe;
using Stripe.Checkout;
using PuffinOffset.StripeSandbox.Tests.Support;

namespace PuffinOffset.StripeSandbox.Tests;

/// <summary>The fake answers Stripe.net as Stripe does, or the Api's tests against it prove little.</summary>
public sealed class CheckoutSessionsApiTests : SandboxTestBase
{
    private static SessionCreateOptions OrderOptions(long cents = 2500) => CheckoutOptions("order-1", amount: cents);

    [Fact]
    public async Task A_created_session_deserialises_in_stripe_net_and_can_be_read_back()
    {
        var session = await Sessions().CreateAsync(OrderOptions());

        Assert.StartsWith("cs_test_", session.Id);
        Assert.Equal((2500L, "usd", "open", "unpaid", "order-1"), (session.AmountTotal, session.Currency, session.Status, session.PaymentStatus, session.Metadata["orderId"]));
        Assert.Equal("order-1", session.ClientReferenceId);
        Assert.Equal(session.Id, (await Sessions().GetAsync(session.Id)).Id);
    }

    [Fact]
    public async Task The_same_idempotency_key_and_parameters_replay_the_first_response()
    {
        var first = await Sessions().CreateAsync(OrderOptions(), new RequestOptions { IdempotencyKey = "k1" });
        var second = await Sessions().CreateAsync(OrderOptions(), new RequestOptions { IdempotencyKey = "k1" });

        Assert.Equal(first.Id, second.Id);
        Assert.Equal("true", second.StripeResponse.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Single(Sandbox.Sessions.All);
    }

    [Fact]
    public async Task The_same_idempotency_key_with_other_parameters_is_an_idempotency_error()
    {
        await Sessions().CreateAsync(OrderOptions(2500), new RequestOptions { IdempotencyKey = "k1" });

        var error = await Assert.ThrowsAsync<StripeException>(() => Sessions().CreateAsync(OrderOptions(2600), new RequestOptions { IdempotencyKey = "k1" }));

        Assert.Equal((HttpStatusCode.BadRequest, "idempotency_error"), (error.HttpStatusCode, error.StripeError.Type));
    }

    [Fact]
    public async Task Missing_parameters_and_keys_fail_as_stripe_fails()
    {
        var missing = await Assert.ThrowsAsync<StripeException>(() => Sessions().CreateAsync(new SessionCreateOptions { Mode = "payment" }));
        Assert.Equal((HttpStatusCode.BadRequest, "parameter_missing"), (missing.HttpStatusCode, missing.StripeError.Code));

        var unauthorised = await Assert.ThrowsAsync<StripeException>(() => Sessions("pk_test_not_a_secret").CreateAsync(OrderOptions()));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.HttpStatusCode);

        var unknown = await Assert.ThrowsAsync<StripeException>(() => Sessions().GetAsync("cs_test_nope"));
        Assert.Equal((HttpStatusCode.NotFound, "resource_missing"), (unknown.HttpStatusCode, unknown.StripeError.Code));
    }

    [Fact]
    public async Task Injected_faults_answer_before_anything_is_saved()
    {
        Sandbox.Faults.FailNext(1, 503);

        var failed = await Assert.ThrowsAsync<StripeException>(() => Sessions().CreateAsync(OrderOptions(), new RequestOptions { IdempotencyKey = "k1" }));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.HttpStatusCode);

        var retried = await Sessions().CreateAsync(OrderOptions(), new RequestOptions { IdempotencyKey = "k1" });
        Assert.Single(Sandbox.Sessions.All);
        Assert.Equal(retried.Id, Sandbox.Sessions.All.Single()["id"]);
        Assert.Equal([503, 200], Sandbox.Requests.All.Select(r => r.Status));
    }

    [Fact]
    public void The_webhook_signer_matches_the_worked_example_of_the_signing_reference() =>
        Assert.Equal("c3c0c8376f523fc1ba0fa662853a1ea304caa3d07e5f9e0cf33274bd4d043d97",
            WebhookSigner.Signature("whsec_TESTONLY0123456789abcdefghijABCDEFGHIJ", 1793613890, """{"id":"evt_test_webhook","object":"event"}"""));
}
