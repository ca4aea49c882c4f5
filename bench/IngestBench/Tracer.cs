using System.Diagnostics;

namespace PuffinOffset.IngestBench;

/// <summary>
/// dotnet-trace (the repository's local tool) on a server for one round: CPU samples, or with <c>profile=gc-verbose</c> the
/// runtime's allocation ticks (one event, with its stack and type, per ~100 KiB allocated).
/// </summary>
public sealed class Tracer(Process process) : IDisposable
{
    public static async Task<Tracer> StartAsync(string repository, int pid, string output, TimeSpan duration, string profile = "dotnet-sampled-thread-time")
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = repository, UseShellExecute = false };
        foreach (var argument in new[] { "dotnet-trace", "collect", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--profile", profile, "--duration", duration.ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture),
                     "-o", Path.GetFullPath(output) })
        {
            start.ArgumentList.Add(argument);
        }

        var tracer = new Tracer(Process.Start(start)!);
        await Task.Delay(TimeSpan.FromSeconds(3)); // session set up before the round starts
        return tracer;
    }

    public Task WaitAsync() => process.WaitForExitAsync();

    public void Dispose() => process.Dispose();
}
