using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Bearer keys listed by name in a file (one per line: a name, then the SHA-256 of that key in hex), as
/// <see cref="AdminKeys"/> (operators) and <see cref="ServiceKeys"/> (other services) read them. Only hashes are
/// kept in memory; a presented key is compared against every hash in constant time.
/// </summary>
public abstract class NamedKeys
{
    /// <summary>Shorter keys are guessable; a presented key shorter than this never authenticates.</summary>
    public const int MinimumKeyLength = 32;

    /// <summary>The history's column holds this many characters of a name.</summary>
    public const int MaxNameLength = 100;

    private readonly List<(string Name, byte[] Hash)> _keys = [];

    protected internal List<string> Failures { get; } = [];

    public int Count => _keys.Count;

    /// <summary>
    /// The name whose key <paramref name="presented"/> is, or null. Every configured hash is compared in
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

    protected void Add(string name, byte[] hash) => _keys.Add((name, hash));

    /// <summary>Who holds a key, in messages: "operator", "service".</summary>
    protected abstract string Holder { get; }

    /// <summary>Reads the file <paramref name="fileVariable"/> names, if set, then refuses duplicate names and shared keys.</summary>
    /// <param name="singleKey">A key given by another variable under a fixed name, said when that name is listed again.</param>
    protected void LoadFile(IConfiguration configuration, string fileVariable, (string Name, string Variable)? singleKey = null)
    {
        if (configuration[fileVariable] is { } path && !string.IsNullOrWhiteSpace(path))
        {
            ReadFile(path.Trim(), fileVariable);
        }

        foreach (var duplicate in _keys.GroupBy(k => k.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            Failures.Add($"{fileVariable}: the name \"{duplicate.Key}\" is given to more than one key"
                + (singleKey is { } single && duplicate.Key == single.Name ? $" ({single.Variable} is the key named {single.Name})." : "."));
        }

        if (_keys.GroupBy(k => Convert.ToHexString(k.Hash)).Any(g => g.Count() > 1))
        {
            Failures.Add($"{fileVariable}: two {Holder}s share one key; give each {Holder} their own.");
        }
    }

    private void ReadFile(string path, string fileVariable)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Failures.Add($"{fileVariable} names a file that cannot be read ({path}): {ex.Message}");
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
                Failures.Add($"{fileVariable}, line {number}: expected {(Holder == "operator" ? "an" : "a")} {Holder}'s name (at most {MaxNameLength} characters, no spaces) "
                    + $"and the SHA-256 of their key as 64 hex digits, e.g. `alice 9f86d0…`.");
                continue;
            }

            _keys.Add((name, Convert.FromHexString(hex)));
        }
    }
}
