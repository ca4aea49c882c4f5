using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace PuffinOffset.Fulfillment.Wren;

/// <summary>
/// Typed client for Wren's offset orders. It sends each request once: Wren has no idempotency key,
/// so retrying is the worker's decision, taken with the fulfilment's state in the database. Wren's
/// error bodies are never passed on; results carry our own wording.
/// </summary>
public sealed partial class WrenClient(HttpClient http, ILogger<WrenClient> logger, WrenNoteLookups? lookups = null)
{
    private readonly WrenNoteLookups _lookups = lookups ?? new WrenNoteLookups();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<WrenPlaceResult> PlaceOrderAsync(WrenOrderRequest order, CancellationToken cancellationToken)
    {
        LogPlacing(order.PortfolioId, order.Tons, order.DryRun);
        var body = new { tons = order.Tons, portfolioId = order.PortfolioId, note = order.Note, dryRun = order.DryRun };
        try
        {
            using var response = await http.PostAsJsonAsync("api/offset-orders", body, Json, cancellationToken);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                var created = await ReadCreatedAsync(response, cancellationToken);
                if (created is null)
                {
                    // A 2xx we cannot read may still be a created order: resolve by note.
                    return new WrenPlaceResult.Unknown($"Wren answered {status} with an unreadable body");
                }

                if (created.WrenOrderId is null && !order.DryRun)
                {
                    // Only a dry run has no id. Without one we cannot tell what was created: resolve by note.
                    LogMissingId(status, order.PortfolioId, order.Tons);
                    return new WrenPlaceResult.Unknown($"Wren answered {status} without an order id");
                }

                LogPlaced(order.PortfolioId, order.Tons, created.AmountCharged, created.WrenOrderId);
                return created;
            }

            LogRefused(order.PortfolioId, order.Tons, status);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                return new WrenPlaceResult.NotCreated($"Wren answered 429 TooManyRequests{RetryAfterText(response)}", WrenRateLimited.From(response.Headers.RetryAfter));
            }

            return Classify(response.StatusCode);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogCallFailed(ex.GetType().Name, order.PortfolioId, order.Tons);
            return ClassifyException(ex);
        }
    }

    /// <summary>
    /// Looks for orders carrying <paramref name="note"/> in the account's full order list, read as a stream
    /// (headers first, then the body element by element): the list has no filter or pagination and grows
    /// with every order ever placed, so lookups asked for together share one read (<see cref="WrenNoteLookups"/>).
    /// Several matches mean duplicates: the oldest is the order, all are reported.
    /// </summary>
    public Task<WrenLookupResult> FindOrderByNoteAsync(string note, CancellationToken cancellationToken) =>
        _lookups.FindAsync(note, ReadNotesAsync, http.Timeout, cancellationToken);

    /// <summary>One read of the list for <paramref name="notes"/>, bounded by the client's timeout.</summary>
    private async Task<NotesRead> ReadNotesAsync(IReadOnlyCollection<string> notes)
    {
        // HttpClient.Timeout stops at the headers when the body is streamed: the whole read gets the same bound.
        using var timeout = new CancellationTokenSource(http.Timeout);
        try
        {
            using var response = await http.GetAsync("api/offset-orders", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                var rateLimit = response.StatusCode == HttpStatusCode.TooManyRequests ? WrenRateLimited.From(response.Headers.RetryAfter) : null;
                return NotesRead.Failed(new WrenLookupResult.Failed(
                    $"order lookup answered {(int)response.StatusCode} {response.StatusCode}{RetryAfterText(response)}", rateLimit));
            }

            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            return NotesRead.Succeeded(await WrenOrderList.ReadMatchesAsync(stream, notes, timeout.Token));
        }
        catch (JsonException)
        {
            return NotesRead.Failed(new WrenLookupResult.Failed("order lookup answered with an unreadable body"));
        }
        catch (Exception ex)
        {
            LogLookupFailed(ex.GetType().Name);
            return NotesRead.Failed(new WrenLookupResult.Failed($"order lookup failed: {Describe(ex)}"));
        }
    }

    public static WrenPlaceResult Classify(HttpStatusCode status) => (int)status switch
    {
        400 => new WrenPlaceResult.Rejected(400, "Wren rejected the order as invalid (400 Bad Request): check its tons, portfolio and the $1.00 minimum charge, then replay."),
        401 => new WrenPlaceResult.Rejected(401, "Wren did not recognise the API token (401 Unauthorized): fix WREN_API_TOKEN, then replay."),
        402 => new WrenPlaceResult.Rejected(402, "Wren refused the order (402 Payment Required): top up credits or fix the payment method, then replay."),
        403 => new WrenPlaceResult.Rejected(403, "Wren refused the account (403 Forbidden): check WREN_API_TOKEN and that the account has a payment method or credits, then replay."),
        429 => new WrenPlaceResult.NotCreated($"Wren answered {(int)status} {status}"),
        // A 408 is sent by whatever gave up waiting (Wren, a proxy or CDN in front of it) while the request may
        // still be worked on behind it: it proves nothing about the order, like a 5xx.
        408 or >= 500 => new WrenPlaceResult.Unknown($"Wren answered {(int)status} {status}"),
        var other => new WrenPlaceResult.Rejected(other, $"Wren refused the order ({other} {status}): check WREN_API_BASE and the request, then replay."),
    };

    public static WrenPlaceResult ClassifyException(Exception ex) => ex switch
    {
        // Nothing reached Wren: the connection was never made, or our circuit breaker held the request back.
        HttpRequestException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable } }
            or HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError }
            or BrokenCircuitException => new WrenPlaceResult.NotCreated($"Wren could not be reached: {Describe(ex)}"),
        // The request may have been received: a timeout or a dropped connection proves nothing.
        _ => new WrenPlaceResult.Unknown($"Wren's answer was lost: {Describe(ex)}"),
    };

    /// <summary>Wren's Retry-After as sent (a number or a date: ours to show, not Wren's prose).</summary>
    private static string RetryAfterText(HttpResponseMessage response) =>
        response.Headers.RetryAfter is { } retryAfter ? $" (Retry-After {retryAfter})" : "";

    private static string Describe(Exception ex) => ex switch
    {
        OperationCanceledException or TimeoutRejectedException or TimeoutException => "timed out",
        HttpRequestException { HttpRequestError: var error } when error != HttpRequestError.Unknown => $"connection error ({error})",
        HttpRequestException => "connection error",
        _ => ex.GetType().Name,
    };

    private static async Task<WrenPlaceResult.Created?> ReadCreatedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
            var root = document.RootElement;
            string? id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind != JsonValueKind.Null ? idElement.ToString() : null;
            long amount = root.TryGetProperty("amountCharged", out var amountElement) && amountElement.TryGetDecimal(out var cents)
                ? (long)Math.Ceiling(cents)
                : 0;
            return new WrenPlaceResult.Created(id, amount);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Placing Wren offset order: portfolio {PortfolioId}, {Tons} t, dry run {DryRun}")]
    private partial void LogPlacing(int portfolioId, decimal tons, bool dryRun);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wren placed offset order {WrenOrderId}: portfolio {PortfolioId}, {Tons} t, charged {AmountCharged} cents")]
    private partial void LogPlaced(int portfolioId, decimal tons, long amountCharged, string? wrenOrderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wren refused offset order with {Status}: portfolio {PortfolioId}, {Tons} t")]
    private partial void LogRefused(int portfolioId, decimal tons, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wren answered {Status} without an order id to a live order (portfolio {PortfolioId}, {Tons} t): its outcome is unknown and will be looked up by note")]
    private partial void LogMissingId(int status, int portfolioId, decimal tons);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wren offset order lookup failed ({ExceptionType})")]
    private partial void LogLookupFailed(string exceptionType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wren call failed ({ExceptionType}): portfolio {PortfolioId}, {Tons} t")]
    private partial void LogCallFailed(string exceptionType, int portfolioId, decimal tons);
}
