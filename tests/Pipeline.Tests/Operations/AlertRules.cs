using System.Text.RegularExpressions;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>The metric names deploy/prometheus/alerts.yml (copied next to the tests) queries.</summary>
public static partial class AlertRules
{
    /// <summary>Series Prometheus makes itself for every scrape target; no service exports them.</summary>
    private static readonly HashSet<string> ScrapeSeries = ["up", "scrape_duration_seconds", "scrape_samples_scraped"];

    private static readonly HashSet<string> PromQlKeywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"];

    public static IReadOnlyList<string> Expressions() =>
        [.. File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "alerts.yml"))
            .Select(line => ExprLine().Match(line))
            .Where(match => match.Success)
            .Select(match => match.Groups["expr"].Value)];

    /// <summary>Every metric an expression selects: identifiers that are not functions, keywords, label names or values.</summary>
    public static IReadOnlyList<string> MetricNames() =>
        [.. Expressions()
            .Select(expr => Grouping().Replace(LabelMatchers().Replace(RangeOrAnnotation().Replace(expr, ""), ""), ""))
            .SelectMany(expr => Identifier().Matches(expr).Select(match => match.Value))
            .Where(name => !PromQlKeywords.Contains(name) && !ScrapeSeries.Contains(name))
            .Distinct()
            .Order(StringComparer.Ordinal)];

    [GeneratedRegex(@"^\s*expr:\s*(?<expr>.+?)\s*$")]
    private static partial Regex ExprLine();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\]]*\]|""[^""]*""")]
    private static partial Regex RangeOrAnnotation();

    [GeneratedRegex(@"\b(by|without|on|ignoring)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    // A name followed by "(" is a function or aggregation; digits alone are literals.
    [GeneratedRegex(@"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()")]
    private static partial Regex Identifier();
}
