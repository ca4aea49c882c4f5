using System.Globalization;
using System.Text.Json.Nodes;

namespace PuffinOffset.StripeSandbox.Webhooks;

/// <summary>
/// <c>GET /v1/events</c> as Stripe.net's <c>EventService.ListAsync</c> calls it: newest first, filtered by
/// <c>delivery_success</c>, <c>types[]</c> and <c>created[gte|gt|lte|lt]</c>, paged by <c>limit</c> and
/// <c>starting_after</c>, in Stripe's list envelope. What a reconciler reads to find events whose webhook never arrived.
/// </summary>
public static class EventsApi
{
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/events", List);
        return app;
    }

    private static IResult List(HttpContext http, EventLog log, ReceivedRequests received, TimeProvider time)
    {
        var (status, result) = Answer(http.Request.Query, http.Request, log);
        received.Add(new ReceivedRequest("GET", http.Request.Path + http.Request.QueryString, null,
            http.Request.Headers["Stripe-Version"].FirstOrDefault(), new Dictionary<string, string>(), status, false, time.GetUtcNow()));
        return result;
    }

    private static (int Status, IResult Result) Answer(IQueryCollection query, HttpRequest request, EventLog log)
    {
        if (!CheckoutSessionsApi.IsAuthorized(request))
        {
            return (401, StripeError.Create(401, "invalid_request_error", null, "You did not provide an API key."));
        }

        var limit = DefaultLimit;
        if (query["limit"].FirstOrDefault() is { } limitText && (!int.TryParse(limitText, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return (400, StripeError.Create(400, "invalid_request_error", "parameter_invalid_integer",
                $"Invalid limit: must be an integer between 1 and {MaxLimit}.", "limit"));
        }

        bool? deliverySuccess = query["delivery_success"].FirstOrDefault() switch
        {
            "true" => true,
            "false" => false,
            _ => null,
        };
        // Stripe.net writes types[0]=…&types[1]=…; curl users write types[]=….
        var types = query.Where(p => p.Key == "types" || p.Key.StartsWith("types[", StringComparison.Ordinal))
            .SelectMany(p => p.Value).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var type = query["type"].FirstOrDefault();

        IEnumerable<StripeEvent> events = log.Events.Reverse(); // newest first; raised in order, so ties keep it
        events = events.Where(e => (types.Count == 0 || types.Contains(e.Type)) && (type is null || e.Type == type)
            && (deliverySuccess is not { } success || log.DeliverySucceeded(e) == success)
            && InCreatedRange(query, e.Created.ToUnixTimeSeconds()));
        if (query["starting_after"].FirstOrDefault() is { } startingAfter)
        {
            events = events.SkipWhile(e => e.Id != startingAfter).Skip(1);
        }

        var page = events.Take(limit + 1).ToList();
        var data = new JsonArray(page.Take(limit).Select(e => JsonNode.Parse(e.Json)).ToArray());
        var list = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["has_more"] = page.Count > limit,
            ["url"] = "/v1/events",
        };
        return (200, Results.Text(list.ToJsonString(), "application/json"));
    }

    private static bool InCreatedRange(IQueryCollection query, long created) =>
        (!Bound(query, "created[gte]", out var gte) || created >= gte)
        && (!Bound(query, "created[gt]", out var gt) || created > gt)
        && (!Bound(query, "created[lte]", out var lte) || created <= lte)
        && (!Bound(query, "created[lt]", out var lt) || created < lt)
        && (!Bound(query, "created", out var exactly) || created == exactly);

    private static bool Bound(IQueryCollection query, string name, out long value)
    {
        value = 0;
        return query[name].FirstOrDefault() is { } text && long.TryParse(text, CultureInfo.InvariantCulture, out value);
    }
}
