using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>A switch for crash tests only: in Production no committed message would ever be published.</summary>
public sealed class OutboxOptionsValidator(IHostEnvironment? environment = null) : IValidateOptions<OutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboxOptions options) =>
        environment?.IsProduction() == true && !options.DispatcherEnabled
            ? ValidateOptionsResult.Fail("Outbox__DispatcherEnabled=false is for tests only: in Production no message would ever leave the outbox (payments would never be fulfilled).")
            : ValidateOptionsResult.Success;
}
