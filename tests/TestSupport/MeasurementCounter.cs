using System.Diagnostics.Metrics;

namespace PuffinOffset.TestSupport;

/// <summary>Sums what one instrument of one meter records, so a test can wait for "it happened".</summary>
public sealed class MeasurementCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _value;

    /// <param name="tag">When given, only measurements carrying this tag with this value are summed.</param>
    public MeasurementCounter(string meterName, string instrumentName, KeyValuePair<string, object?>? tag = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && instrument.Name == instrumentName)
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
