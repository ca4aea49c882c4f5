using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Api.Security;

/// <summary>
/// The operators' admin keys: <c>ADMIN_API_KEYS_FILE</c> (one operator per line: a name, then the SHA-256 of that
/// operator's key in hex) and <c>ADMIN_API_KEY</c> (one key, named <c>admin</c>). The name of the key that
/// authenticated a request is who acted, in the order history and the logs. Only hashes are kept in memory.
/// </summary>
public sealed class AdminKeys : NamedKeys
{
    public const string KeyVariable = "ADMIN_API_KEY";
    public const string FileVariable = "ADMIN_API_KEYS_FILE";

    /// <summary>The name <c>ADMIN_API_KEY</c>'s key acts under.</summary>
    public const string SingleKeyName = "admin";

    /// <summary>Whether the admin endpoints exist: a key is configured one way or the other.</summary>
    public static bool Configured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[KeyVariable]) || !string.IsNullOrWhiteSpace(configuration[FileVariable]);

    protected override string Holder => "operator";

    internal void Load(IConfiguration configuration)
    {
        if (configuration[KeyVariable] is { } single && !string.IsNullOrWhiteSpace(single))
        {
            single = single.Trim();
            if (single.Length < MinimumKeyLength)
            {
                Failures.Add($"{KeyVariable} must be at least {MinimumKeyLength} characters (e.g. `openssl rand -hex 32`).");
            }

            Add(SingleKeyName, Hash(single));
        }

        LoadFile(configuration, FileVariable, (SingleKeyName, KeyVariable));
    }

    internal sealed class Validator : IValidateOptions<AdminKeys>
    {
        public ValidateOptionsResult Validate(string? name, AdminKeys options) =>
            options.Failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Failures);
    }
}
