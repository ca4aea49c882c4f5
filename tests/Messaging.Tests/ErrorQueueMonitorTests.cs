using System.Diagnostics.Metrics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>What the retries gave up on is counted per <c>_error</c> queue of this service's consumers.</summary>
[Trait("Engine", "Neutral")]
public sealed class ErrorQueueMonitorTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private string _brokerUri = "";

    public async Task InitializeAsync() => _brokerUri = await (await RabbitMqBroker.Shared).CreateVirtualHostAsync();

    public Task DisposeAsync()
    {
        _folder.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Messages_in_a_consumers_error_queue_are_reported_by_queue()
    {
        using var host = await OutboxTestHost.StartAsync(_folder.File("errors.db"), _brokerUri);
        var monitor = host.Services.GetRequiredService<ErrorQueueMonitor>();
        Assert.Equal(["payment-completed-recorder_error"], monitor.ErrorQueues);

        // As MassTransit moves a message whose retries are spent.
        var errors = await host.Services.GetRequiredService<IBus>().GetSendEndpoint(new Uri("queue:payment-completed-recorder_error"));
        for (var i = 0; i < 2; i++)
        {
            await errors.Send(new PaymentCompleted(Guid.NewGuid(), "cs_test_error", null, 1m, 21, 40_171, "usd", null, DateTimeOffset.UtcNow));
        }

        await Eventually.TrueAsync(async () =>
        {
            await monitor.CountOnceAsync(CancellationToken.None);
            return Gauge(host.Services.GetRequiredService<IMeterFactory>()).GetValueOrDefault("payment-completed-recorder_error") == 2;
        }, TimeSpan.FromSeconds(30), "the gauge reports both messages");
        await host.StopAsync();
    }

    /// <summary>The current value of this host's <c>puffin.messaging.error_queue_messages</c> (other tests' hosts run alongside) for each queue tag.</summary>
    private static Dictionary<string, long> Gauge(IMeterFactory hostMeters)
    {
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is { Name: "puffin.messaging.error_queue_messages", Meter.Name: ErrorQueueMonitor.MeterName } && instrument.Meter.Scope == hostMeters)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "queue")
                {
                    values[(string)tag.Value!] = value;
                }
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
