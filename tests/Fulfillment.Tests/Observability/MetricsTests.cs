using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Tests.Support;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Observability;

[Collection(RunsAlone.Name)] // counts every measurement of the Fulfillment meter
public sealed class MetricsTests : FulfillmentScenario
{
    [Fact]
    public async Task Attempts_by_outcome_placed_orders_and_payment_to_placed_latency_are_measured()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, string? Outcome)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == FulfillmentTelemetry.Name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, Outcome(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, Outcome(tags))));
        listener.Start();
        await using var fulfillment = await StartFulfillmentAsync();
        Wren.State.FailNextPosts(1, 429);
        var orderId = Guid.NewGuid();

        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());

        await PlacedAsync(orderId);
        await Eventually.TrueAsync(() => measurements.Any(m => m.Instrument == "puffin.offsets.payment_to_placed.duration"));
        Assert.Equal(["not_created", "created"], measurements.Where(m => m.Instrument == "puffin.wren.attempts").Select(m => m.Outcome));
        Assert.Single(measurements, m => m.Instrument == "puffin.offsets.placed");
        Assert.True(measurements.Single(m => m.Instrument == "puffin.offsets.payment_to_placed.duration").Value > 0);
    }

    private static string? Outcome(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "outcome")
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
