using Microsoft.Extensions.Options;

namespace PuffinOffset.Fulfillment.Configuration;

public sealed class WrenOptionsValidator : IValidateOptions<WrenOptions>
{
    public ValidateOptionsResult Validate(string? name, WrenOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ApiToken))
        {
            failures.Add("WREN_API_TOKEN is required, dry run included: a Wren team token (wren_test_… serves dry runs).");
        }

        if (options.ApiBase.Scheme is not ("http" or "https"))
        {
            failures.Add("WREN_API_BASE must be an http(s) URL.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
