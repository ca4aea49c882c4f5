using Xunit.Abstractions;

[assembly: TestCollectionOrderer("PuffinOffset.Pipeline.Tests.Support.LongestFirst", "Pipeline.Tests")]

namespace PuffinOffset.Pipeline.Tests.Support;

/// <summary>
/// Starts the longest classes first, so that none of them runs on alone at the end of the run: the two that boot a
/// RabbitMQ node of their own (twice: they stop and restart it), then the two whose tests wait for resends and a
/// ten-second database outage. The rest keep their order.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    private static readonly string[] Longest =
        [nameof(RefundDuringBrokerOutageTests), nameof(RefundCheckTests), nameof(LostMessageTests), nameof(LostRefundAndReplayTests)];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(Rank);

    private static int Rank(ITestCollection collection)
    {
        var index = Array.FindIndex(Longest, name => collection.DisplayName.EndsWith("." + name, StringComparison.Ordinal));
        return index < 0 ? Longest.Length : index;
    }
}
