using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Api.Security;

/// <summary>
/// Keys of the other services that call internal endpoints (<c>SERVICE_API_KEYS_FILE</c>, in the format of
/// <c>ADMIN_API_KEYS_FILE</c>: a name, then the SHA-256 of that service's key). Least privilege: a service key
/// authorises only the internal endpoints and an admin key never does (<see cref="AdminEndpoints"/>).
/// </summary>
public sealed class ServiceKeys : NamedKeys
{
    public const string FileVariable = "SERVICE_API_KEYS_FILE";

    /// <summary>Whether the internal endpoints exist.</summary>
    public static bool Configured(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[FileVariable]);

    protected override string Holder => "service";

    internal void Load(IConfiguration configuration) => LoadFile(configuration, FileVariable);

    internal sealed class Validator : IValidateOptions<ServiceKeys>
    {
        public ValidateOptionsResult Validate(string? name, ServiceKeys options) =>
            options.Failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Failures);
    }
}
