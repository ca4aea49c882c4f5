namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>Reads the Prometheus text exposition format as far as these tests need.</summary>
public static class PrometheusText
{
    /// <summary>The names of the samples (a histogram's <c>_bucket</c>, <c>_sum</c> and <c>_count</c> each).</summary>
    public static IEnumerable<string> MetricNames(string exposition) => exposition
        .Split('\n')
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line => line[..line.IndexOfAny(['{', ' '])])
        .Distinct();

    /// <summary>Each metric family from its <c># TYPE name type</c> line: name → counter, gauge, histogram….</summary>
    public static IEnumerable<KeyValuePair<string, string>> Families(string exposition) => exposition
        .Split('\n')
        .Where(line => line.StartsWith("# TYPE ", StringComparison.Ordinal))
        .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(parts => parts.Length == 4)
        .Select(parts => KeyValuePair.Create(parts[2], parts[3]));

    /// <summary>The value of the first sample of <paramref name="series"/> whose labels include <paramref name="label"/> (e.g. <c>check="database"</c>).</summary>
    public static double? Value(string exposition, string series, string label) => exposition
        .Split('\n')
        .Where(line => line.StartsWith(series + "{", StringComparison.Ordinal) && line.Contains(label, StringComparison.Ordinal))
        .Select(line => (double?)double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
        .FirstOrDefault();
}
