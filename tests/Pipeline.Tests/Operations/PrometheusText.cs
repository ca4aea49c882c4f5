namespace PuffinOffset.Pipeline.Tests.Operations;

/// <summary>Reads the Prometheus text exposition format as far as these tests need: the names of the samples.</summary>
public static class PrometheusText
{
    public static IEnumerable<string> MetricNames(string exposition) => exposition
        .Split('\n')
        .Where(line => line.Length > 0 && line[0] != '#')
        .Select(line => line[..line.IndexOfAny(['{', ' '])])
        .Distinct();
}
