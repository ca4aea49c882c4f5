using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace PuffinOffset.TestSupport;

/// <summary>Sums what one instrument of one meter records, so a test can wait for "it happened".</summary>
public sealed class MeasurementCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _value;

    /// <summary>
    /// Counts every meter of that name in the process: each host's, so a test that asserts counts with it must run
    /// alone. The constructor that takes a host's services counts that host's only.
    /// </summary>
    /// <param name="tag">When given, only measurements carrying this tag with this value are summed.</param>
    public MeasurementCounter(string meterName, string instrumentName, KeyValuePair<string, object?>? tag = null)
        : this(hostMeters: null, meterName, instrumentName, tag)
    {
    }

    /// <summary>
    /// Counts only the measurements of the host whose services are <paramref name="host"/>: its meters come from its
    /// own <see cref="IMeterFactory"/> (a meter's <see cref="Meter.Scope"/>), so hosts of tests running beside this one
    /// do not add to it. Meters the host has already created are found too.
    /// </summary>
    public MeasurementCounter(IServiceProvider host, string meterName, string instrumentName, KeyValuePair<string, object?>? tag = null)
        : this(host.GetRequiredService<IMeterFactory>(), meterName, instrumentName, tag)
    {
    }

    private MeasurementCounter(IMeterFactory? hostMeters, string meterName, string instrumentName, KeyValuePair<string, object?>? tag)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == instrumentName
                && (hostMeters is null || instrument.Meter.Scope == hostMeters))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        bool Counts(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tag is not { } wanted)
            {
                return true;
            }

            foreach (var t in tags)
            {
                if (t.Key == wanted.Key && Equals(t.Value, wanted.Value))
                {
                    return true;
                }
            }

            return false;
        }

        _listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            if (Counts(tags))
            {
                Interlocked.Add(ref _value, measurement);
            }
        });
        _listener.SetMeasurementEventCallback<int>((_, measurement, tags, _) =>
        {
            if (Counts(tags))
            {
                Interlocked.Add(ref _value, measurement);
            }
        });
        _listener.Start();
    }

    public long Value => Interlocked.Read(ref _value);

    public void Dispose() => _listener.Dispose();
}
