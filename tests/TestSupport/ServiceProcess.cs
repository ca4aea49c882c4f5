using System.Diagnostics;
using System.Text;

namespace PuffinOffset.TestSupport;

/// <summary>
/// Runs a built service (<c>dotnet Service.dll</c>) as its own process with exactly the given variables,
/// nothing inherited from the test run, and returns how it ended.
/// </summary>
public static class ServiceProcess
{
    public sealed record Outcome(int ExitCode, string Output);

    public static async Task<Outcome> RunUntilExitAsync(string assemblyPath, IReadOnlyDictionary<string, string> variables, TimeSpan timeout,
        params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
        };
        start.ArgumentList.Add(assemblyPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var inherited in new[] { "PATH", "HOME", "DOTNET_ROOT", "TMPDIR" })
        {
            if (Environment.GetEnvironmentVariable(inherited) is { } value)
            {
                start.Environment[inherited] = value;
            }
        }

        foreach (var (name, value) in variables)
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (output) { output.AppendLine(line.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(assemblyPath)} was still running after {timeout}:\n{output}");
        }

        process.WaitForExit(); // drains the redirected output
        lock (output)
        {
            return new Outcome(process.ExitCode, output.ToString());
        }
    }
}
