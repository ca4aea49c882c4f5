using Microsoft.Extensions.Options;

namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>
/// Where Fulfillment asks the Api whether an order was refunded before a delayed purchase: <c>API_INTERNAL_URLS</c>
/// (the Api instances' management listeners, comma separated, asked in turn; loopback or a private network, as
/// every management listener) with the service key
/// <c>API_SERVICE_KEY</c> (or <c>API_SERVICE_KEY_FILE</c>). Unset, there is no check: allowed outside Production, said
/// once at startup on SQLite in Production, and refused with PostgreSQL in Production (replicas and a broker that fail
/// independently are where a refund is held up).
/// </summary>
public sealed class ApiRefundCheckOptions
{
    public const string UrlsVariable = "API_INTERNAL_URLS";
    public const string KeyVariable = "API_SERVICE_KEY";

    public List<Uri> ApiUrls { get; } = [];

    public string ServiceKey { get; set; } = "";

    /// <summary>Values of <see cref="UrlsVariable"/> that are not absolute http(s) URLs.</summary>
    internal List<string> MalformedUrls { get; } = [];

    public bool Enabled => ApiUrls.Count > 0;

    internal void Load(IConfiguration configuration)
    {
        foreach (var value in (configuration[UrlsVariable] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
            {
                ApiUrls.Add(url);
            }
            else
            {
                MalformedUrls.Add(value);
            }
        }

        ServiceKey = configuration[KeyVariable]?.Trim() ?? "";
    }

    internal sealed class Validator(IConfiguration configuration, IHostEnvironment environment) : IValidateOptions<ApiRefundCheckOptions>
    {
        public ValidateOptionsResult Validate(string? name, ApiRefundCheckOptions options)
        {
            var failures = new List<string>();
            failures.AddRange(options.MalformedUrls.Select(value => $"{UrlsVariable} must list absolute http(s) URLs of the Api's management listener, not '{value}'."));
            if (options.Enabled && options.ServiceKey.Length < NamedKeys.MinimumKeyLength)
            {
                failures.Add($"{KeyVariable} (or {KeyVariable}_FILE) is required with {UrlsVariable}: a service key of at least {NamedKeys.MinimumKeyLength} characters whose SHA-256 is listed in the Api's SERVICE_API_KEYS_FILE.");
            }

            if (!options.Enabled && options.MalformedUrls.Count == 0 && RequiredIn(configuration, environment))
            {
                failures.Add($"{UrlsVariable} is required in Production on PostgreSQL: before a delayed purchase Fulfillment asks the Api whether the order was refunded (docs/fulfillment.md, \"The refund check\").");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    /// <summary>Whether running without the check is refused (else, in Production, warned about).</summary>
    internal static bool RequiredIn(IConfiguration configuration, IHostEnvironment environment) =>
        environment.IsProduction() && string.Equals(configuration["DATABASE_PROVIDER"]?.Trim(), "postgres", StringComparison.OrdinalIgnoreCase);
}
