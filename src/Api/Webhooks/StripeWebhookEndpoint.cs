using Microsoft.AspNetCore.Http.HttpResults;
using PuffinOffset.Api.Observability;
using Stripe;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// <c>POST /api/webhooks/stripe</c>: verify the raw body, then hand the event to <see cref="StripeEventIngest"/>,
/// which records and applies it in a transaction shared with concurrent webhooks, and answer 200 only
/// after it committed. Nothing here calls Stripe, Wren or RabbitMQ:
/// the outgoing message is published later by the outbox.
/// </summary>
public static partial class StripeWebhookEndpoint
{
    public const int MaxBodyBytes = 512 * 1024;
    public const string SignatureHeader = "Stripe-Signature";

    public static IEndpointRouteBuilder MapStripeWebhook(this IEndpointRouteBuilder api)
    {
        api.MapPost("/webhooks/stripe", HandleAsync)
            .WithName("StripeWebhook")
            .WithTags("Webhooks")
            .Accepts<object>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return api;
    }

    public static async Task<Results<Ok, ProblemHttpResult>> HandleAsync(
        HttpContext context,
        StripeSignatureVerifier verifier,
        StripeEventIngest ingest,
        ApiMetrics metrics,
        ILoggerFactory loggerFactory)
    {
        var body = await StripeWebhookBody.ReadAsync(context, MaxBodyBytes);
        if (body is null)
        {
            return TypedResults.Problem($"A webhook body may be at most {MaxBodyBytes / 1024} KiB.",
                statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");
        }

        StripeWebhookEvent? stripeEvent;
        SignatureFailure failure;
        using (body)
        {
            // The event keeps only the fields it read: the buffer goes back to the pool before the commit is awaited.
            (stripeEvent, failure) = verifier.Verify(body, context.Request.Headers[SignatureHeader].ToString());
        }

        if (stripeEvent is null)
        {
            LogRejected(Logger(loggerFactory), failure);
            metrics.WebhookSignatureFailed(failure);
            return TypedResults.Problem("The webhook could not be verified as a Stripe event.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid webhook");
        }

        if (stripeEvent.ApiVersion != StripeConfiguration.ApiVersion)
        {
            LogApiVersionDiffers(Logger(loggerFactory), stripeEvent.EventId, stripeEvent.ApiVersion, StripeConfiguration.ApiVersion);
        }

        await ingest.ProcessAsync(stripeEvent);
        return TypedResults.Ok();
    }

    /// <summary>Made only when there is something to log: <c>CreateLogger(Type)</c> formats the type's name on every call.</summary>
    private static ILogger Logger(ILoggerFactory loggerFactory) => loggerFactory.CreateLogger(typeof(StripeWebhookEndpoint));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a Stripe webhook: {Failure}")]
    private static partial void LogRejected(ILogger logger, SignatureFailure failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} has API version {EventApiVersion}; Stripe.net pins {PinnedApiVersion}. Set the endpoint's version to match in Stripe's dashboard")]
    private static partial void LogApiVersionDiffers(ILogger logger, string eventId, string? eventApiVersion, string pinnedApiVersion);
}
