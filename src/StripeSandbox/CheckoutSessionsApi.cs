namespace PuffinOffset.StripeSandbox;

/// <summary><c>POST /v1/checkout/sessions</c> and <c>GET /v1/checkout/sessions/{id}</c>, as Stripe.net calls them.</summary>
public static class CheckoutSessionsApi
{
    private static readonly string[] RequiredParameters =
    [
        "mode",
        "line_items[0][price_data][currency]",
        "line_items[0][price_data][unit_amount]",
        "line_items[0][price_data][product_data][name]",
        "line_items[0][quantity]",
        "success_url",
    ];

    public static IEndpointRouteBuilder MapCheckoutSessionsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/checkout/sessions", CreateAsync);
        app.MapGet("/v1/checkout/sessions/{id}", GetAsync);
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, CheckoutSessionStore sessions, IdempotencyRecords idempotency,
        ReceivedRequests received, FaultInjector faults, ApiOutage outage, TimeProvider time)
    {
        var form = http.Request.HasFormContentType
            ? (await http.Request.ReadFormAsync(http.RequestAborted)).ToDictionary(p => p.Key, p => p.Value.ToString())
            : [];
        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var (status, replayed, result) = outage.StatusNow() is { } down
            ? (down, false, StripeError.Create(down, "api_error", null, "An injected sandbox outage."))
            : await AnswerAsync(http, form, key, sessions, idempotency, faults);
        received.Add(new ReceivedRequest("POST", http.Request.Path, key, http.Request.Headers["Stripe-Version"].FirstOrDefault(),
            form, status, replayed, time.GetUtcNow()));
        if (key is not null)
        {
            http.Response.Headers["Idempotency-Key"] = key;
        }

        if (replayed)
        {
            http.Response.Headers["Idempotent-Replayed"] = "true";
        }

        http.Response.Headers["Request-Id"] = "req_test_" + Guid.NewGuid().ToString("N")[..14];
        return result;
    }

    private static async Task<(int Status, bool Replayed, IResult Result)> AnswerAsync(HttpContext http, Dictionary<string, string> form,
        string? key, CheckoutSessionStore sessions, IdempotencyRecords idempotency, FaultInjector faults)
    {
        if (!IsAuthorized(http.Request))
        {
            return (401, false, StripeError.Create(401, "invalid_request_error", null,
                "You did not provide an API key. Provide your API key in the Authorization header, using Bearer auth."));
        }

        // A fault strikes before the endpoint runs, so (as with Stripe) nothing is saved under the key.
        if (faults.Next() is { } fault)
        {
            if (fault.Delay is { } delay)
            {
                await Task.Delay(delay, http.RequestAborted);
            }

            if (fault.Status is { } faultStatus)
            {
                return (faultStatus, false, StripeError.Create(faultStatus, "api_error", null, "An injected sandbox failure."));
            }
        }

        if (key is null)
        {
            var (status, body) = Create(http, form, sessions);
            return (status, false, Json(status, body));
        }

        using (await idempotency.LockAsync(key, http.RequestAborted))
        {
            var fingerprint = string.Join('&', form.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
            if (idempotency.Find(key) is { } saved)
            {
                return saved.ParametersFingerprint == fingerprint
                    ? (saved.Status, true, Json(saved.Status, saved.Body))
                    : (400, false, StripeError.Create(400, "idempotency_error", null,
                        $"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."));
            }

            var (status, body) = Create(http, form, sessions);
            // Stripe saves nothing for a request that fails validation.
            if (status < 400)
            {
                idempotency.Save(key, new IdempotencyRecords.SavedResponse(fingerprint, status, body));
            }

            return (status, false, Json(status, body));
        }
    }

    private static (int Status, object Body) Create(HttpContext http, Dictionary<string, string> form, CheckoutSessionStore sessions)
    {
        if (RequiredParameters.FirstOrDefault(p => !form.ContainsKey(p)) is { } missing)
        {
            return (400, ErrorBody("invalid_request_error", "parameter_missing", $"Missing required param: {missing}.", missing));
        }

        if (!long.TryParse(form["line_items[0][price_data][unit_amount]"], out var unitAmount) || unitAmount < 0)
        {
            return (400, ErrorBody("invalid_request_error", "parameter_invalid_integer", "Invalid integer.", "line_items[0][price_data][unit_amount]"));
        }

        if (form["mode"] is not ("payment" or "setup" or "subscription"))
        {
            return (400, ErrorBody("invalid_request_error", null, "Invalid mode.", "mode"));
        }

        return (200, sessions.Create(form, $"{http.Request.Scheme}://{http.Request.Host}"));
    }

    private static Task<IResult> GetAsync(string id, HttpContext http, CheckoutSessionStore sessions, ReceivedRequests received, ApiOutage outage, TimeProvider time)
    {
        IResult result;
        int status;
        if (!IsAuthorized(http.Request))
        {
            (status, result) = (401, StripeError.Create(401, "invalid_request_error", null, "You did not provide an API key."));
        }
        else if (outage.StatusNow() is { } down)
        {
            (status, result) = (down, StripeError.Create(down, "api_error", null, "An injected sandbox outage."));
        }
        else if (sessions.Find(id) is { } session)
        {
            (status, result) = (200, Results.Json(session));
        }
        else
        {
            (status, result) = (404, StripeError.Create(404, "invalid_request_error", "resource_missing", $"No such checkout.session: '{id}'", "id"));
        }

        received.Add(new ReceivedRequest("GET", http.Request.Path, null, http.Request.Headers["Stripe-Version"].FirstOrDefault(),
            new Dictionary<string, string>(), status, false, time.GetUtcNow()));
        return Task.FromResult(result);
    }

    internal static bool IsAuthorized(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer sk_test_", StringComparison.Ordinal)
               || authorization.StartsWith("Bearer rk_test_", StringComparison.Ordinal)
               || authorization.StartsWith("Basic ", StringComparison.Ordinal);
    }

    private static object ErrorBody(string type, string? code, string message, string? param) =>
        new Dictionary<string, object?> { ["error"] = new Dictionary<string, object?> { ["type"] = type, ["code"] = code, ["message"] = message, ["param"] = param } };

    private static IResult Json(int status, object body) => Results.Json(body, statusCode: status);
}
