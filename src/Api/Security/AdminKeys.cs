using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Api.Security;

/// <summary>
/// The operators' admin keys: <c>ADMIN_API_KEYS_FILE</c> (one operator per line: a name, then the SHA-256 of that
/// operator's key in hex) and <c>ADMIN_API_KEY</c> (one key, named <c>admin</c>). The name of the key that
/// authenticated a request is who acted, in the order history and the logs. Only hashes are kept in memory.
/// </summary>
public sealed class AdminKeys
{
    public const string KeyVariable = "ADMIN_API_KEY";
    public const string FileVariable = "ADMIN_API_KEYS_FILE";

    /// <summary>The name <c>ADMIN_API_KEY</c>'s key acts under.</summary>
    public const string SingleKeyName = "admin";

    /// <summary>Shorter keys are guessable; a presented key shorter than this never authenticates.</summary>
    public const int MinimumKeyLength = 32;

    /// <summary>The history's column holds this many characters of a name.</summary>
    public const int MaxNameLength = 100;

    private readonly List<(string Name, byte[] Hash)> _keys = [];

    internal List<string> Failures { get; } = [];

    public int Count => _keys.Count;

    /// <summary>Whether the admin endpoints exist: a key is configured one way or the other.</summary>
    public static bool Configured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[KeyVariable]) || !string.IsNullOrWhiteSpace(configuration[FileVariable]);

    /// <summary>
    /// The operator whose key <paramref name="presented"/> is, or null. Every configured hash is compared in
    /// constant time, with no early exit, so the time taken says nothing about which key came close.
    /// </summary>
    public string? Find(string presented)
    {
        var hash = Hash(presented);
        string? found = null;
        foreach (var (name, expected) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, expected))
            {
                found = name;
            }
        }

        return presented.Length >= MinimumKeyLength ? found : null;
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    internal void Load(IConfiguration configuration)
    {
        if (configuration[KeyVariable] is { } single && !string.IsNullOrWhiteSpace(single))
        {
            single = single.Trim();
            if (single.Length < MinimumKeyLength)
            {
                Failures.Add($"{KeyVariable} must be at least {MinimumKeyLength} characters (e.g. `openssl rand -hex 32`).");
            }

            _keys.Add((SingleKeyName, Hash(single)));
        }

        if (configuration[FileVariable] is { } path && !string.IsNullOrWhiteSpace(path))
        {
            LoadFile(path.Trim());
        }

        foreach (var duplicate in _keys.GroupBy(k => k.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            Failures.Add($"{FileVariable}: the name \"{duplicate.Key}\" is given to more than one key"
                + (duplicate.Key == SingleKeyName ? $" ({KeyVariable} is the key named {SingleKeyName})." : "."));
        }

        if (_keys.GroupBy(k => Convert.ToHexString(k.Hash)).Any(g => g.Count() > 1))
        {
            Failures.Add($"{FileVariable}: two operators share one key; give each operator their own.");
        }
    }

    private void LoadFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Failures.Add($"{FileVariable} names a file that cannot be read ({path}): {ex.Message}");
            return;
        }

        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            // Never echo the line: a pasted key instead of its hash would end up in the logs.
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields is not [var name, var hex] || hex.Length != 64 || !hex.All(Uri.IsHexDigit) || name.Length > MaxNameLength)
            {
                Failures.Add($"{FileVariable}, line {number}: expected an operator's name (at most {MaxNameLength} characters, no spaces) "
                    + "and the SHA-256 of their key as 64 hex digits, e.g. `alice 9f86d0…`.");
                continue;
            }

            _keys.Add((name, Convert.FromHexString(hex)));
        }
    }

    internal sealed class Validator : IValidateOptions<AdminKeys>
    {
        public ValidateOptionsResult Validate(string? name, AdminKeys options) =>
            options.Failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(options.Failures);
    }
}
