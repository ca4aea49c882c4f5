using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Portfolios;
using PuffinOffset.Api.Security;
using Stripe;

namespace PuffinOffset.Api.Checkout;

public static partial class CheckoutApi
{
    public const int MaxIdempotencyKeyLength = 255;

    public static IEndpointRouteBuilder MapCheckoutApi(this IEndpointRouteBuilder api)
    {
        api.MapPost("/checkout/create-session", CreateSessionAsync)
            .WithName("CreateCheckoutSession")
            .WithTags("Checkout")
            .RequireRateLimiting(CheckoutRateLimit.PolicyName)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return api;
    }

    public static async Task<Results<Ok<CreateSessionResponse>, ValidationProblem, ProblemHttpResult>> CreateSessionAsync(
        CreateSessionRequest? request,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ApiDbContext db,
        PriceList prices,
        StripeCheckout stripe,
        ApiMetrics metrics,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger(typeof(CheckoutApi));
        if (request is null)
        {
            return Invalid(new() { ["body"] = ["A JSON body with tons and portfolioId is required."] });
        }

        var errors = request.Validate();
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            errors["Idempotency-Key"] = [$"Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} characters."];
        }

        if (errors.Count > 0)
        {
            return Invalid(errors);
        }

        var requestHash = request.Hash();
        var order = idempotencyKey is null ? null : await FindByKeyAsync(db, idempotencyKey, cancellationToken);
        if (order is null)
        {
            Portfolio? portfolio;
            try
            {
                portfolio = await prices.FindAsync(request.PortfolioId!.Value, cancellationToken);
            }
            catch (PriceListUnavailableException)
            {
                return PriceListProblem.Unavailable();
            }

            if (portfolio is null)
            {
                return Invalid(new() { ["portfolioId"] = ["portfolioId is not one of the portfolios Wren offers."] });
            }

            var amount = CheckoutPrice.AmountCents(request.Tons!.Value, portfolio.PricePerTon);
            if (!CheckoutPrice.MeetsMinimum(amount))
            {
                return Invalid(new() { ["tons"] = [$"The total must be at least {CheckoutPrice.MinimumAmountCents} cents (Wren's minimum charge); buy more tons."] });
            }

            // Persisted before Stripe is called: whatever happens next, the order exists and a retry reuses it.
            order = Order.Create(Guid.CreateVersion7(), request.Tons.Value, portfolio.Id, amount, request.NormalizedEmail,
                idempotencyKey, idempotencyKey is null ? null : requestHash, time.GetUtcNow());
            db.Orders.Add(order);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (idempotencyKey is not null)
            {
                // A concurrent request with the same key won the insert; answer as that request will.
                db.ChangeTracker.Clear();
                order = await FindByKeyAsync(db, idempotencyKey, cancellationToken) ?? throw new InvalidOperationException("Idempotency-Key conflict without a row.");
            }
        }

        if (order.RequestHash != (idempotencyKey is null ? null : requestHash))
        {
            return TypedResults.Problem("This Idempotency-Key was already used with a different request body.",
                statusCode: StatusCodes.Status422UnprocessableEntity, title: "Idempotency-Key reused");
        }

        if (order.CheckoutSessionId is null)
        {
            try
            {
                var session = await stripe.CreateSessionAsync(order, cancellationToken);
                order.AttachCheckoutSession(session.Id, session.Url, time.GetUtcNow());
                await db.SaveChangesAsync(cancellationToken);
                metrics.CheckoutSessionCreated();
            }
            catch (Exception ex) when (ex is StripeException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Never pass Stripe's text on: it may describe our account or request.
                LogStripeFailed(logger, order.Id, ex.GetType().Name, (int?)(ex as StripeException)?.HttpStatusCode);
                metrics.CheckoutStripeFailed(StripeErrorType(ex));
                return TypedResults.Problem("The payment provider cannot be reached right now. Please try again shortly.",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Payment provider unavailable");
            }
        }

        return TypedResults.Ok(new CreateSessionResponse(order.Id, order.CheckoutSessionId!, order.CheckoutUrl, order.AmountTotal, Order.Currency));
    }

    private static Task<Order?> FindByKeyAsync(ApiDbContext db, string key, CancellationToken cancellationToken) =>
        db.Orders.SingleOrDefaultAsync(o => o.IdempotencyKey == key, cancellationToken);

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "The request is not valid; see errors.", title: "Invalid checkout request");

    private static string StripeErrorType(Exception failure) => failure switch
    {
        StripeException { HttpStatusCode: System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden } => "authentication",
        StripeException { HttpStatusCode: System.Net.HttpStatusCode.TooManyRequests } => "rate_limited",
        StripeException => "stripe_error",
        TaskCanceledException => "timeout",
        _ => "unreachable",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Creating the Stripe Checkout session of order {OrderId} failed ({Failure}, HTTP {StatusCode})")]
    private static partial void LogStripeFailed(ILogger logger, Guid orderId, string failure, int? statusCode);
}
