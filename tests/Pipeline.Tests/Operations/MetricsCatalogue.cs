using System.Text.RegularExpressions;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>One row of the "Metrics catalogue" table in docs/operations.md (copied next to the tests).</summary>
public sealed record CatalogueEntry(string Series, string Type, string From)
{
    /// <summary>"event (…)": appears only with an event a healthy system does not produce.</summary>
    public bool AppearsOnlyAfterAFailure => From.StartsWith("event (", StringComparison.Ordinal);
}

public static partial class MetricsCatalogue
{
    public static IReadOnlyList<CatalogueEntry> Entries()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "operations.md"));
        var section = lines.SkipWhile(line => line != "### Metrics catalogue").Skip(1).TakeWhile(line => !line.StartsWith('#'));
        return [.. section.Select(line => Row().Match(line)).Where(match => match.Success)
            .Select(match => new CatalogueEntry(match.Groups["series"].Value, match.Groups["type"].Value.Trim(), match.Groups["from"].Value.Trim()))];
    }

    // | `series` | type | service | labels | from | meaning |
    [GeneratedRegex(@"^\| `(?<series>puffin_[a-z0-9_]+)` \|(?<type>[^|]+)\|[^|]*\|[^|]*\|(?<from>[^|]+)\|")]
    private static partial Regex Row();
}
