using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Orders;
using Stripe;
using Stripe.Checkout;

namespace PuffinOffset.Api.Checkout;

/// <summary>Creates and reads the Stripe Checkout session of an order; the only place that calls Stripe's API.</summary>
public sealed class StripeCheckout(
    IHttpClientFactory httpClientFactory,
    IOptions<StripeOptions> stripeOptions,
    IOptions<FrontendOptions> frontendOptions)
{
    public const string HttpClientName = "stripe";

    /// <summary>Stripe.net's own retries (same Idempotency-Key, backoff) on connection errors, 409 and 5xx.</summary>
    public const int MaxNetworkRetries = 2;

    public async Task<Session> CreateSessionAsync(Order order, CancellationToken cancellationToken)
    {
        var baseUrl = frontendOptions.Value.BaseUrl.GetLeftPart(UriPartial.Authority) + frontendOptions.Value.BaseUrl.AbsolutePath.TrimEnd('/');
        var options = new SessionCreateOptions
        {
            Mode = "payment",
            ClientReferenceId = order.Id.ToString(),
            CustomerEmail = order.CustomerEmail,
            Metadata = new Dictionary<string, string> { ["orderId"] = order.Id.ToString() },
            SuccessUrl = $"{baseUrl}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
            CancelUrl = $"{baseUrl}/checkout/cancel",
            LineItems =
            [
                new SessionLineItemOptions
                {
                    Quantity = 1,
                    PriceData = new SessionLineItemPriceDataOptions
                    {
                        Currency = Order.Currency,
                        UnitAmount = order.AmountTotal,
                        ProductData = new SessionLineItemPriceDataProductDataOptions
                        {
                            Name = $"Carbon offset: {order.Tons:0.###} t CO2e",
                            Description = $"Wren portfolio {order.PortfolioId}",
                        },
                    },
                },
            ],
        };

        // Deterministic per order: a retry (ours or Stripe.net's) returns the same session, never a second one.
        var requestOptions = new RequestOptions { IdempotencyKey = IdempotencyKey(order.Id) };
        return await new SessionService(CreateClient()).CreateAsync(options, requestOptions, cancellationToken);
    }

    /// <summary>The session as Stripe sees it now (status, payment_status), for reconciliation.</summary>
    public Task<Session> GetSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        new SessionService(CreateClient()).GetAsync(sessionId, cancellationToken: cancellationToken);

    /// <summary>
    /// One page of the events Stripe could not deliver to any endpoint (<c>GET /v1/events?delivery_success=false</c>),
    /// of <paramref name="types"/>, created since <paramref name="since"/>, newest first.
    /// </summary>
    public Task<StripeList<Event>> ListUndeliveredEventsAsync(IReadOnlyCollection<string> types, DateTimeOffset since, string? startingAfter,
        int limit, CancellationToken cancellationToken) =>
        new EventService(CreateClient()).ListAsync(new EventListOptions
        {
            DeliverySuccess = false,
            Types = [.. types],
            Created = new DateRangeOptions { GreaterThanOrEqual = since.UtcDateTime },
            Limit = limit,
            StartingAfter = startingAfter,
        }, cancellationToken: cancellationToken);

    public static string IdempotencyKey(Guid orderId) => $"checkout-create-{orderId}";

    private StripeClient CreateClient()
    {
        var http = new SystemNetHttpClient(httpClientFactory.CreateClient(HttpClientName), MaxNetworkRetries);
        return new StripeClient(stripeOptions.Value.SecretKey, httpClient: http,
            apiBase: stripeOptions.Value.ApiBase.ToString().TrimEnd('/'));
    }
}
