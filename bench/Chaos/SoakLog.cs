using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace PuffinOffset.Chaos;

/// <summary>One line of the soak's log: a fault (<see cref="Kind"/> names it for the counts) or an operator's action.</summary>
public sealed record SoakEntry(TimeSpan At, string Kind, string What)
{
    public override string ToString() => $"{SoakLog.Format(At)} {What}";
}

/// <summary>The soak's clock (seconds since start) and every fault with its time, printed as it lands.</summary>
public sealed class SoakLog
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<SoakEntry> _entries = new();

    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;

    public TimeSpan Now => _clock.Elapsed;

    /// <summary>A wall-clock time (e.g. when Wren stored an order) on the soak's clock.</summary>
    public TimeSpan At(DateTimeOffset time) => time - _startedAt;

    public IReadOnlyList<SoakEntry> Entries => [.. _entries];

    public static string Format(TimeSpan at) => string.Create(CultureInfo.InvariantCulture, $"+{at.TotalSeconds:0.0}s");

    public void Record(string kind, string what)
    {
        var entry = new SoakEntry(Now, kind, what);
        _entries.Enqueue(entry);
        Console.WriteLine($"  {entry}");
    }

    /// <summary>A note printed with the time, not counted as a fault.</summary>
    public void Note(string what) => Console.WriteLine($"  {Format(Now)} {what}");

    public IReadOnlyList<SoakEntry> Between(TimeSpan from, TimeSpan to) => [.. _entries.Where(e => e.At >= from && e.At <= to)];
}
