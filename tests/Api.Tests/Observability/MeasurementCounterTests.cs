using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Observability;

/// <summary>
/// What lets a class that counts a meter run beside the others: a counter given a host's services counts that host's
/// measurements only, not those of another host's meter of the same name in the process.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class MeasurementCounterTests
{
    private const string MeterName = "PuffinOffset.Tests.MeasurementCounter";

    [Fact]
    public void A_counter_of_one_host_does_not_count_another_hosts_meter_of_the_same_name()
    {
        using var mine = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var myCounter = Counter(mine); // created before the counter listens: found when it starts
        using var counted = new MeasurementCounter(mine, MeterName, "puffin.test.things");
        using var everyHost = new MeasurementCounter(MeterName, "puffin.test.things");
        var theirCounter = Counter(theirs); // created after: found as it is published

        myCounter.Add(1);
        theirCounter.Add(5);

        Assert.Equal(1, counted.Value);
        Assert.Equal(6, everyHost.Value);
    }

    private static Counter<long> Counter(IServiceProvider host) =>
        host.GetRequiredService<IMeterFactory>().Create(MeterName).CreateCounter<long>("puffin.test.things");
}
