using System.Text.RegularExpressions;

namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>The metric names deploy/prometheus/alerts.yml (copied next to the tests) queries.</summary>
public static partial class AlertRules
{
    /// <summary>Series Prometheus makes itself for every scrape target; no service exports them.</summary>
    private static readonly HashSet<string> ScrapeSeries = ["up", "scrape_duration_seconds", "scrape_samples_scraped"];

    private static readonly HashSet<string> PromQlKeywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"];

    /// <summary>Each rule's expression: on its <c>expr:</c> line, or the lines below an <c>expr: |</c>.</summary>
    public static IReadOnlyList<string> Expressions()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "alerts.yml"));
        var expressions = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var match = ExprLine().Match(lines[i]);
            if (!match.Success)
            {
                continue;
            }

            var expr = match.Groups["expr"].Value;
            if (expr == "|")
            {
                var indent = lines[i].Length - lines[i].TrimStart().Length;
                expr = string.Join(" ", lines.Skip(i + 1)
                    .TakeWhile(line => line.Length - line.TrimStart().Length > indent && line.Trim().Length > 0)
                    .Select(line => line.Trim()));
            }

            expressions.Add(expr);
        }

        return expressions;
    }

    /// <summary>Every metric an expression selects: identifiers that are not functions, keywords, label names or values.</summary>
    public static IReadOnlyList<string> MetricNames() =>
        [.. Expressions()
            .Select(expr => Grouping().Replace(LabelMatchers().Replace(RangeOrAnnotation().Replace(expr, ""), ""), ""))
            .SelectMany(expr => Identifier().Matches(expr).Select(match => match.Value))
            .Where(name => !PromQlKeywords.Contains(name) && !ScrapeSeries.Contains(name))
            .Distinct()
            .Order(StringComparer.Ordinal)];

    /// <summary>The <c>http_route</c> values the request alerts select by equality: each must be a route the Api really reports.</summary>
    public static IReadOnlyList<string> SelectedHttpRoutes() =>
        [.. Expressions().SelectMany(expr => HttpRoute().Matches(expr).Select(match => match.Groups["route"].Value)).Distinct()];

    [GeneratedRegex(@"http_route=""(?<route>[^""]+)""")]
    private static partial Regex HttpRoute();

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
