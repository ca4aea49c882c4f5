using Microsoft.Extensions.Options;

namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>
/// <c>WREN_MAX_CONCURRENCY</c> that is not a whole number is a startup error naming it, never a silent
/// default (the range itself is checked on <see cref="FulfillmentOptions.MaxConcurrency"/>).
/// </summary>
public sealed class MaxConcurrencyValidator(IConfiguration configuration) : IValidateOptions<FulfillmentOptions>
{
    public ValidateOptionsResult Validate(string? name, FulfillmentOptions options)
    {
        var raw = configuration[FulfillmentConfiguration.MaxConcurrencyVariable];
        FulfillmentConfiguration.StrictWholeNumber(raw, out var malformed);
        return malformed
            ? ValidateOptionsResult.Fail($"{FulfillmentConfiguration.MaxConcurrencyVariable} must be a whole number between 1 and {FulfillmentOptions.MaxConcurrencyLimit}, not '{raw}'.")
            : ValidateOptionsResult.Success;
    }
}
