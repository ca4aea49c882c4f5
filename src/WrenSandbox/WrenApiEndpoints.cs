using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace PuffinOffset.WrenSandbox;

/// <summary>Wren's wire format: <c>/api/portfolios</c> (snake_case) and <c>/api/offset-orders</c> (camelCase).</summary>
public static class WrenApiEndpoints
{
    public const string TestTokenPrefix = "wren_test_";

    public static IEndpointRouteBuilder MapWrenApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/portfolios", (IOptions<WrenSandboxOptions> options) => Results.Json(new
        {
            portfolios = Portfolios(options.Value).Select(p => new
            {
                id = p.Id,
                name = p.Name,
                description = p.Description,
                cost_per_ton = p.CostPerTon,
                image_url = $"https://sandbox.invalid/portfolios/{p.Id}.png",
                projects = p.Projects.Select(project => new
                {
                    id = project.Id,
                    name = project.Name,
                    cost_per_ton = project.CostPerTon,
                    percentage = project.Percentage,
                    certification_status = project.CertificationStatus,
                }),
            }),
        }));

        app.MapPost("/api/offset-orders", async (HttpContext http, SandboxState state, IOptions<WrenSandboxOptions> options, TimeProvider time) =>
        {
            state.PostStarted();
            try
            {
                return await CreateOffsetOrderAsync(http, state, options, time);
            }
            finally
            {
                state.PostEnded();
            }
        });
        app.MapGet("/api/offset-orders", (HttpContext http, SandboxState state, IOptions<WrenSandboxOptions> options) =>
        {
            state.LookupReceived();
            var mode = Authenticate(http.Request, options.Value);
            if (mode is null)
            {
                return Message(401, "Unauthorized: the API token was not recognised.");
            }

            if (state.TakeLookupFault() is { } status)
            {
                return Message(status, "Injected failure.");
            }

            // Test mode writes nothing, so it has nothing to list. Newest first: Wren documents no order,
            // and a client must not take "the first match" for "the original order".
            return Results.Stream(body => state.WriteOrderListAsync(body, mode == TokenMode.Test, http.RequestAborted), "application/json; charset=utf-8");
        });
        return app;
    }

    private static async Task<IResult> CreateOffsetOrderAsync(
        HttpContext http, SandboxState state, IOptions<WrenSandboxOptions> options, TimeProvider time)
    {
        var settings = options.Value;
        var mode = Authenticate(http.Request, settings);
        var request = await ReadAsync(http.Request);
        var receivedAt = time.GetUtcNow(); // when the POST arrived, whatever delay the answer gets
        var fault = state.TakePostFault();
        using var inFlight = state.TrackInFlight(request?.Note, time.GetUtcNow() + fault switch
        {
            PostFault.Delay delayed => delayed.Duration,
            PostFault.StoreAfterDelay slowed => slowed.Duration,
            _ => TimeSpan.Zero,
        });
        void Record(int answer) => state.Record(new ReceivedPost(receivedAt, mode == TokenMode.Test, request?.Tons, request?.PortfolioId, request?.Note, request?.DryRun ?? false, answer));

        if (fault is PostFault.Delay delay)
        {
            await Task.Delay(delay.Duration, time, http.RequestAborted);
        }

        if (fault is PostFault.StoreAfterDelay slow)
        {
            // Deliberately not cancelled by the client going away: the order is written all the same.
            await Task.Delay(slow.Duration, time, CancellationToken.None);
        }

        if (fault is PostFault.Hold hold)
        {
            await hold.Released.WaitAsync(http.RequestAborted);
        }

        if (fault is PostFault.RateLimited limited)
        {
            Record(429);
            if (limited.RetryAfter is { } retryAfter)
            {
                http.Response.Headers.RetryAfter = retryAfter;
            }

            return Message(429, "Too many requests.");
        }

        if (fault is PostFault.Status injected)
        {
            Record(injected.Code);
            return Message(injected.Code, "Injected failure.");
        }

        if (mode is null)
        {
            Record(401);
            return Message(401, "Unauthorized: the API token was not recognised.");
        }

        if (request is null || request.Tons is not > 0)
        {
            Record(400);
            return Message(400, "tons is required and must be a positive number.");
        }

        var portfolio = Portfolios(settings).FirstOrDefault(p => p.Id == (request.PortfolioId ?? 12));
        if (portfolio is null)
        {
            Record(400);
            return Message(400, "Unknown portfolioId.");
        }

        var amountCharged = (long)Math.Ceiling(request.Tons.Value * portfolio.CostPerTon * 100m);
        if (amountCharged < settings.MinimumChargeCents)
        {
            Record(400);
            return Message(400, "Total charge must be at least $1.00 when using Stripe. Use paymentMethod: \"credits\" for smaller orders.");
        }

        string? id = null;
        if (request.DryRun)
        {
            id = null;
        }
        else if (mode == TokenMode.Test)
        {
            id = $"test_oo_{Guid.NewGuid():N}";
        }
        else
        {
            id = state.Store(request.Tons.Value, request.Note, time.GetUtcNow()).Id;
        }

        if (fault is PostFault.StoreThenDrop)
        {
            Record(0);
            http.Abort();
            return Results.Empty;
        }

        Record(200);
        if (fault is PostFault.OkWithoutId)
        {
            return Results.Json(new { });
        }

        var body = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["amountCharged"] = amountCharged,
            ["currency"] = "USD",
            ["tons"] = request.Tons.Value,
        };
        if (mode == TokenMode.Test)
        {
            body["test"] = true;
        }

        return Results.Json(body);
    }

    private static IEnumerable<SandboxPortfolio> Portfolios(WrenSandboxOptions options) =>
        options.Portfolios.Count > 0 ? options.Portfolios : WrenSandboxOptions.DefaultPortfolios;

    private static IResult Message(int status, string message) => Results.Json(new { message }, statusCode: status);

    private enum TokenMode { Test, Live }

    /// <summary>Bearer, or Basic with the token as user name and an empty password.</summary>
    private static TokenMode? Authenticate(HttpRequest request, WrenSandboxOptions options)
    {
        var header = request.Headers.Authorization.ToString();
        string? token = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
                token = decoded.Split(':', 2)[0];
            }
            catch (FormatException)
            {
                return null;
            }
        }

        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        if (token.StartsWith(TestTokenPrefix, StringComparison.Ordinal))
        {
            return TokenMode.Test;
        }

        return options.LiveTokens.Contains(token) ? TokenMode.Live : null;
    }

    private sealed record OrderRequest(decimal? Tons, int? PortfolioId, string? Note, bool DryRun);

    /// <summary>JSON or form-encoded, as Wren accepts both; null when the body cannot be read.</summary>
    private static async Task<OrderRequest?> ReadAsync(HttpRequest request)
    {
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync();
                return new OrderRequest(
                    decimal.TryParse(form["tons"], NumberStyles.Number, CultureInfo.InvariantCulture, out var formTons) ? formTons : null,
                    int.TryParse(form["portfolioId"], CultureInfo.InvariantCulture, out var formPortfolio) ? formPortfolio : null,
                    form["note"].FirstOrDefault(),
                    bool.TryParse(form["dryRun"], out var formDryRun) && formDryRun);
            }

            using var document = await JsonDocument.ParseAsync(request.Body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            decimal? tons = root.TryGetProperty("tons", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetDecimal() : null;
            int? portfolioId = root.TryGetProperty("portfolioId", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
            var note = root.TryGetProperty("note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            var dryRun = root.TryGetProperty("dryRun", out var d) && d.ValueKind == JsonValueKind.True;
            return new OrderRequest(tons, portfolioId, note, dryRun);
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or FormatException or OverflowException)
        {
            return null;
        }
    }
}
