using Xunit.Abstractions;

[assembly: TestCollectionOrderer("PuffinOffset.Pipeline.Tests.Support.OwnBrokersFirst", "Pipeline.Tests")]

namespace PuffinOffset.Pipeline.Tests.Support;

/// <summary>
/// Starts the classes that boot a RabbitMQ node of their own (twice: they stop and restart it) before the others:
/// they take several times as long as any other class, so started last they would run on alone at the end of the
/// run. The rest keep xunit's order.
/// </summary>
public sealed class OwnBrokersFirst : ITestCollectionOrderer
{
    private static readonly string[] OwnBroker = [nameof(RefundDuringBrokerOutageTests), nameof(RefundCheckTests)];

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(collection => OwnBroker.Any(name => collection.DisplayName.EndsWith("." + name, StringComparison.Ordinal)) ? 0 : 1);
}
