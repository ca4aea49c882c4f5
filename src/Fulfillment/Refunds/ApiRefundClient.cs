using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Messaging.InternalApi;

namespace PuffinOffset.Fulfillment.Refunds;

/// <summary>
/// Asks the Api's <c>POST /api/internal/refund-status</c> (<see cref="RefundStatusRequest"/>), one Api instance after
/// another (<c>API_INTERNAL_URLS</c>) until one answers. No retries beyond that failover: the fulfilment's own backoff
/// is the retry. Null when no instance answered (down, 5xx, a timeout, 401, an answer that cannot be read); otherwise
/// the answer and when the instance that gave it was asked (the Api's record is at least that recent).
/// </summary>
public sealed partial class ApiRefundClient(
    HttpClient http,
    IOptions<ApiRefundCheckOptions> options,
    IOptions<FulfillmentOptions> fulfillmentOptions,
    TimeProvider time,
    ILogger<ApiRefundClient> logger)
{
    public const string HttpClientName = "api-refund-status";

    public async Task<(RefundStatusResponse Answer, DateTimeOffset AskedAt)?> AskAsync(IReadOnlyList<Guid> orderIds, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        foreach (var apiBase in settings.ApiUrls)
        {
            var askedAt = time.GetUtcNow();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(fulfillmentOptions.Value.RefundCheckTimeout);
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(apiBase, RefundStatusRequest.Path))
                {
                    Content = JsonContent.Create(new RefundStatusRequest(orderIds)),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ServiceKey);
                using var response = await http.SendAsync(request, timeout.Token);
                if (response.IsSuccessStatusCode
                    && await response.Content.ReadFromJsonAsync<RefundStatusResponse>(timeout.Token) is { Orders: { } answered } answer
                    && orderIds.All(id => answered.Any(o => o.OrderId == id)))
                {
                    return (answer, askedAt);
                }

                // Never the body: the Api's problem details are for its own logs.
                LogRefused(apiBase, (int)response.StatusCode);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogUnreachable(apiBase, ex.GetType().Name);
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Api at {ApiBase} answered the refund check with HTTP {Status}; asking the next instance, if any")]
    private partial void LogRefused(Uri apiBase, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Api at {ApiBase} could not be asked about refunds ({Failure}); asking the next instance, if any")]
    private partial void LogUnreachable(Uri apiBase, string failure);
}
