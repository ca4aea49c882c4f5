using PuffinOffset.Platform.Configuration;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Fulfillment.Configuration;

public sealed class WrenOptionsValidator(IConfiguration configuration, IHostEnvironment? environment = null) : IValidateOptions<WrenOptions>
{
    public ValidateOptionsResult Validate(string? name, WrenOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ApiToken))
        {
            failures.Add("WREN_API_TOKEN is required, dry run included: a Wren team token (wren_test_… serves dry runs).");
        }

        // "0", "no" or a typo used to mean dry run silently: the order showed fulfilled and nothing was bought.
        StrictBinding.StrictBoolean(configuration["WREN_DRY_RUN"], out var malformed);
        if (malformed)
        {
            failures.Add($"WREN_DRY_RUN must be true or false, not '{configuration["WREN_DRY_RUN"]}'.");
        }

        var maxRetryAfter = configuration[FulfillmentConfiguration.MaxRetryAfterVariable];
        FulfillmentConfiguration.StrictTimeSpan(maxRetryAfter, out var malformedMaxRetryAfter);
        if (malformedMaxRetryAfter || options.MaxRetryAfter <= TimeSpan.Zero)
        {
            failures.Add($"{FulfillmentConfiguration.MaxRetryAfterVariable} must be a positive time span written hh:mm:ss, e.g. 00:15:00, not '{maxRetryAfter}'.");
        }

        if (configuration["WREN_API_BASE"] is { Length: > 0 } apiBase && !Uri.TryCreate(apiBase, UriKind.Absolute, out _))
        {
            failures.Add($"WREN_API_BASE must be an absolute http(s) URL, not '{apiBase}'.");
        }

        if (options.ApiBase.Scheme is not ("http" or "https"))
        {
            failures.Add("WREN_API_BASE must be an http(s) URL.");
        }
        else if (ClearTextUpstream.IsRefused(options.ApiBase, environment))
        {
            failures.Add(ClearTextUpstream.Refusal("WREN_API_BASE"));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
