using Microsoft.Extensions.Options;

namespace PuffinOffset.Api.Configuration;

/// <summary>The Api sends Wren's token with every price-list request: no clear text to another host in Production.</summary>
public sealed class WrenPricingOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<WrenPricingOptions>
{
    public ValidateOptionsResult Validate(string? name, WrenPricingOptions options) =>
        ClearTextUpstream.IsRefused(options.ApiBase, environment)
            ? ValidateOptionsResult.Fail(ClearTextUpstream.Refusal("WREN_API_BASE"))
            : ValidateOptionsResult.Success;
}
