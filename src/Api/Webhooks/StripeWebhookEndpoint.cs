using System.Text;
using Microsoft.AspNetCore.Http.Features;
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
        var logger = loggerFactory.CreateLogger(typeof(StripeWebhookEndpoint));
        var json = await ReadBodyAsync(context);
        if (json is null)
        {
            return TypedResults.Problem($"A webhook body may be at most {MaxBodyBytes / 1024} KiB.",
                statusCode: StatusCodes.Status413PayloadTooLarge, title: "Payload too large");
        }

        var (stripeEvent, failure) = verifier.Verify(json, context.Request.Headers[SignatureHeader].ToString());
        if (stripeEvent is null)
        {
            LogRejected(logger, failure);
            metrics.WebhookSignatureFailed(failure);
            return TypedResults.Problem("The webhook could not be verified as a Stripe event.",
                statusCode: StatusCodes.Status400BadRequest, title: "Invalid webhook");
        }

        if (stripeEvent.ApiVersion != StripeConfiguration.ApiVersion)
        {
            LogApiVersionDiffers(logger, stripeEvent.EventId, stripeEvent.ApiVersion, StripeConfiguration.ApiVersion);
        }

        await ingest.ProcessAsync(stripeEvent);
        return TypedResults.Ok();
    }

    /// <summary>The exact bytes Stripe signed, or null when they exceed <see cref="MaxBodyBytes"/>.</summary>
    private static async Task<string?> ReadBodyAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes + 1;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBodyBytes)
                {
                    return null;
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a Stripe webhook: {Failure}")]
    private static partial void LogRejected(ILogger logger, SignatureFailure failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} has API version {EventApiVersion}; Stripe.net pins {PinnedApiVersion}. Set the endpoint's version to match in Stripe's dashboard")]
    private static partial void LogApiVersionDiffers(ILogger logger, string eventId, string? eventApiVersion, string pinnedApiVersion);
}
