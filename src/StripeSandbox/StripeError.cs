namespace PuffinOffset.StripeSandbox;

/// <summary>Stripe's error body: <c>{"error": {"type", "code", "message", "param", "doc_url"}}</c>.</summary>
public static class StripeError
{
    public static IResult Create(int status, string type, string? code, string message, string? param = null) =>
        Results.Json(new Dictionary<string, object?>
        {
            ["error"] = new Dictionary<string, object?>
            {
                ["type"] = type,
                ["code"] = code,
                ["message"] = message,
                ["param"] = param,
                ["doc_url"] = code is null ? null : $"https://stripe.com/docs/error-codes/{code.Replace('_', '-')}",
            },
        }, statusCode: status);
}
