using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.StripeSandbox;

namespace PuffinOffset.Api.Tests.Checkout;

public sealed class CreateSessionTests : ApiTestBase
{
    /// <summary>What checkout asked Stripe (the reconciler's own calls, e.g. its Events API pass at start, are not checkout's).</summary>
    private List<ReceivedRequest> SessionRequests =>
        [.. Stripe.Requests.All.Where(r => r.Path.StartsWith("/v1/checkout/sessions", StringComparison.Ordinal))];

    [Fact]
    public async Task Creates_a_pending_order_and_a_stripe_session_as_the_contract_says()
    {
        var created = await CreateOrderAsync(tons: 2.5m, portfolioId: 21, email: "buyer@example.com");

        Assert.Equal(100428, created.AmountTotal); // ceil(2.5 × 401.71 × 100)
        Assert.Equal("usd", created.Currency);
        Assert.StartsWith("cs_test_", created.SessionId);
        Assert.EndsWith(created.SessionId, created.Url);

        var order = await OrderAsync(created.OrderId);
        Assert.Equal((OrderStatus.Pending, created.SessionId, 2.5m, 21, 100428L), (order.Status, order.CheckoutSessionId, order.Tons, order.PortfolioId, order.AmountTotal));

        var request = Assert.Single(SessionRequests);
        Assert.Equal($"checkout-create-{created.OrderId}", request.IdempotencyKey);
        Assert.Equal("2026-10-28.endive", request.StripeVersion);
        var form = request.Form;
        Assert.Equal("payment", form["mode"]);
        Assert.Equal("100428", form["line_items[0][price_data][unit_amount]"]);
        Assert.Equal("usd", form["line_items[0][price_data][currency]"]);
        Assert.Equal("1", form["line_items[0][quantity]"]);
        Assert.Equal(created.OrderId.ToString(), form["client_reference_id"]);
        Assert.Equal(created.OrderId.ToString(), form["metadata[orderId]"]);
        Assert.Equal("buyer@example.com", form["customer_email"]);
        Assert.Equal($"{ApiHost.FrontendOrigin}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}", form["success_url"]);
        Assert.Equal($"{ApiHost.FrontendOrigin}/checkout/cancel", form["cancel_url"]);
    }

    [Fact]
    public async Task The_smallest_total_that_rounds_up_to_the_minimum_is_accepted()
    {
        var created = await CreateOrderAsync(tons: 0.081m, portfolioId: 12);
        Assert.Equal(100, created.AmountTotal);
    }

    [Theory]
    [InlineData("""{"tons":0,"portfolioId":21}""", "tons")]
    [InlineData("""{"tons":-1,"portfolioId":21}""", "tons")]
    [InlineData("""{"tons":0.0001,"portfolioId":21}""", "tons")]
    [InlineData("""{"tons":100000.001,"portfolioId":21}""", "tons")]
    [InlineData("""{"portfolioId":21}""", "tons")]
    [InlineData("""{"tons":1}""", "portfolioId")]
    [InlineData("""{"tons":1,"portfolioId":21,"customerEmail":"not-an-email"}""", "customerEmail")]
    [InlineData("""{"tons":0.08,"portfolioId":12}""", "tons")] // 99 cents: under Wren's minimum
    [InlineData("""{"tons":1,"portfolioId":999}""", "portfolioId")] // not a Wren portfolio
    public async Task Invalid_requests_are_400_problems_keyed_by_field_and_never_reach_stripe(string body, string field)
    {
        using var response = await PostJsonAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(400, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
        Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty(field, out _), $"errors has no '{field}'");
        Assert.Empty(SessionRequests);
        Assert.Equal(0, await Api.WithDbAsync(db => db.Orders.CountAsync()));
    }

    [Theory]
    [InlineData("{\"tons\": ")]
    [InlineData("{\"tons\": \"many\", \"portfolioId\": 21}")]
    [InlineData("[1,2]")]
    public async Task Malformed_json_is_a_400_problem(string body)
    {
        using var response = await PostJsonAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await ProblemAssert.IsSafeProblemAsync(response, 400);
        Assert.Empty(SessionRequests);
    }

    [Fact]
    public async Task The_same_idempotency_key_and_body_returns_the_first_answer()
    {
        using var first = await PostJsonAsync("""{"tons":2.5,"portfolioId":21}""", "key-1");
        using var second = await PostJsonAsync("""{ "portfolioId": 21, "tons": 2.50 }""", "key-1");

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadFromJsonAsync<CreatedOrder>(), await second.Content.ReadFromJsonAsync<CreatedOrder>());
        Assert.Single(Stripe.Sessions.All);
        Assert.Equal(1, await Api.WithDbAsync(db => db.Orders.CountAsync()));
    }

    [Fact]
    public async Task The_same_idempotency_key_with_another_body_is_422()
    {
        using var first = await PostJsonAsync("""{"tons":2.5,"portfolioId":21}""", "key-1");
        using var second = await PostJsonAsync("""{"tons":3,"portfolioId":21}""", "key-1");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);
        await ProblemAssert.IsSafeProblemAsync(second, 422);
        Assert.Single(Stripe.Sessions.All);
    }

    [Fact]
    public async Task A_double_click_with_one_idempotency_key_creates_one_order_and_one_session()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PostJsonAsync("""{"tons":1,"portfolioId":21}""", "double-click")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var answers = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<CreatedOrder>()));
        Assert.Single(answers.Distinct());
        Assert.Single(Stripe.Sessions.All);
        Assert.Equal(1, await Api.WithDbAsync(db => db.Orders.CountAsync()));
    }

    [Fact]
    public async Task Without_an_idempotency_key_each_request_is_a_new_order()
    {
        var a = await CreateOrderAsync();
        var b = await CreateOrderAsync();
        Assert.NotEqual(a.OrderId, b.OrderId);
        Assert.NotEqual(a.SessionId, b.SessionId);
    }

    [Fact]
    public async Task Stripe_being_down_is_a_503_without_its_text_and_a_retry_reuses_the_order()
    {
        Stripe.Faults.FailNext(3, 500);

        using var failed = await PostJsonAsync("""{"tons":1,"portfolioId":21}""", "retry-me");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        var text = await ProblemAssert.IsSafeProblemAsync(failed, 503);
        Assert.DoesNotContain("injected", text, StringComparison.OrdinalIgnoreCase);
        // Stripe.net retried twice with the same deterministic key.
        Assert.Equal(3, SessionRequests.Count);
        Assert.Single(SessionRequests.Select(r => r.IdempotencyKey).Distinct());
        var pending = await Api.WithDbAsync(db => db.Orders.SingleAsync());
        Assert.Equal(OrderStatus.Pending, pending.Status);
        Assert.Null(pending.CheckoutSessionId);

        using var retried = await PostJsonAsync("""{"tons":1,"portfolioId":21}""", "retry-me");

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var created = (await retried.Content.ReadFromJsonAsync<CreatedOrder>())!;
        Assert.Equal(pending.Id, created.OrderId);
        Assert.Single(Stripe.Sessions.All);
    }

    [Fact]
    public async Task A_stripe_error_answer_is_a_503_without_its_text()
    {
        Stripe.Faults.FailNext(1, 402);

        using var response = await PostJsonAsync("""{"tons":1,"portfolioId":21}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        await ProblemAssert.IsSafeProblemAsync(response, 503);
        Assert.Single(SessionRequests); // 4xx is not retried by Stripe.net
    }

    [Fact]
    public async Task A_refused_secret_key_is_counted_as_an_authentication_error_which_pages()
    {
        using var authentication = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.checkout.stripe_errors", new("error_type", "authentication"));
        using var other = new MeasurementCounter(Api.Services, ApiMetrics.MeterName, "puffin.checkout.stripe_errors", new("error_type", "stripe_error"));
        Stripe.Faults.FailNext(1, 401);

        using var refused = await PostJsonAsync("""{"tons":1,"portfolioId":21}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(1, authentication.Value);
        Assert.Equal(0, other.Value);

        Stripe.Faults.FailNext(1, 402);
        using var declined = await PostJsonAsync("""{"tons":1,"portfolioId":21}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, declined.StatusCode);
        Assert.Equal(1, other.Value);
    }

    [Fact]
    public async Task Without_any_known_price_list_checkout_is_503()
    {
        Wren.Down = true;

        using var response = await PostJsonAsync("""{"tons":1,"portfolioId":21}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        await ProblemAssert.IsSafeProblemAsync(response, 503);
        Assert.Empty(SessionRequests);
    }

    private Task<HttpResponseMessage> PostJsonAsync(string body, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/checkout/create-session")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return Client.SendAsync(request);
    }
}
