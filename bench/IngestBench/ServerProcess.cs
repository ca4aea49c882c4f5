using System.Diagnostics;
using System.Net.Sockets;

namespace PuffinOffset.IngestBench;

/// <summary>
/// A built service (<c>dotnet X.dll</c>) as its own process, so its CPU time and memory are its own.
/// Its output goes to a log file next to the databases.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerProcess(Process process, StreamWriter log, Uri baseAddress)
    {
        _process = process;
        _log = log;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }
    public int Id => _process.Id;

    public static async Task<ServerProcess> StartAsync(string assemblyPath, IReadOnlyDictionary<string, string> variables, string logPath)
    {
        var port = FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(assemblyPath)!,
        };
        start.ArgumentList.Add(assemblyPath);
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

        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, line) => { lock (log) { log.WriteLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (log) { log.WriteLine(line.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, log, new Uri($"http://127.0.0.1:{port}"));
        await server.WaitUntilListeningAsync(port, TimeSpan.FromMinutes(2), logPath);
        return server;
    }

    /// <summary>User + system CPU time the process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Resident set size now, in MiB.</summary>
    public double RssMiB
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64 / (1024.0 * 1024.0);
        }
    }

    private async Task WaitUntilListeningAsync(int port, TimeSpan timeout, string logPath)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.ArgumentList[0]} exited with {_process.ExitCode}; see {logPath}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(250);
            }
        }

        throw new TimeoutException($"{_process.StartInfo.ArgumentList[0]} did not listen on {port} within {timeout}; see {logPath}");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
