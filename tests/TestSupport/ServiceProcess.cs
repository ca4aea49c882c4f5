using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace PuffinOffset.TestSupport;

/// <summary>
/// A built service (<c>dotnet Service.dll</c>) as its own process with exactly the given variables, nothing
/// inherited from the test run but paths and runtime settings: either run until it exits (<see cref="RunUntilExitAsync"/>, startup and
/// command tests), or started and left running (<see cref="StartAsync"/>: replica suites and benchmarks),
/// then killed (SIGKILL), stopped (SIGTERM, as systemd and Kubernetes stop a service), paused (SIGSTOP/SIGCONT) or disposed.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    public sealed record Outcome(int ExitCode, string Output);

    /// <summary>Lines of output kept in memory (the newest); a log file, when given, gets all of them.</summary>
    private const int KeptLines = 5000;

    /// <summary>Processes still running when the test run ends (a crashed or aborted test) are killed then.</summary>
    private static readonly ConcurrentDictionary<ServiceProcess, byte> Running = new();

    private readonly Process _process;
    private readonly Queue<string> _output = new();
    private readonly StreamWriter? _log;

    static ServiceProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var service in Running.Keys)
        {
            service.KillNow();
        }
    };

    private ServiceProcess(Process process, string name, Uri baseAddress, StreamWriter? log)
    {
        _process = process;
        Name = name;
        BaseAddress = baseAddress;
        _log = log;
    }

    public string Name { get; }

    /// <summary>Where it listens (<c>ASPNETCORE_URLS</c>).</summary>
    public Uri BaseAddress { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The newest lines of its standard output and error.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
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

    public static async Task<Outcome> RunUntilExitAsync(string assemblyPath, IReadOnlyDictionary<string, string> variables, TimeSpan timeout,
        params string[] arguments)
    {
        var output = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = StartInfo(assemblyPath, variables, arguments) };
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

    /// <summary>
    /// Starts the service listening on <paramref name="port"/> (a free one if null) and waits until it is ready:
    /// <paramref name="readinessPath"/> answers 200, or, when it is null, the port accepts connections.
    /// </summary>
    /// <param name="logPath">Also writes all of its output to this file.</param>
    public static async Task<ServiceProcess> StartAsync(string assemblyPath, IReadOnlyDictionary<string, string> variables, string? name = null,
        string? readinessPath = "/health", int? port = null, string? logPath = null, TimeSpan? readinessTimeout = null)
    {
        var listenPort = port ?? RabbitMqBroker.FreeTcpPort();
        var start = StartInfo(assemblyPath, variables, []);
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{listenPort}";
        var log = logPath is null ? null : new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        var service = new ServiceProcess(process, name ?? Path.GetFileNameWithoutExtension(assemblyPath), new Uri($"http://127.0.0.1:{listenPort}"), log);
        process.OutputDataReceived += (_, line) => service.Keep(line.Data);
        process.ErrorDataReceived += (_, line) => service.Keep(line.Data);
        process.Start();
        Running[service] = 0;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await service.WaitUntilReadyAsync(readinessPath, readinessTimeout ?? TimeSpan.FromMinutes(2));
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }

        return service;
    }

    /// <summary>SIGKILL: the process dies at once, mid-request, mid-transaction, holding whatever it holds.</summary>
    public async Task KillAsync()
    {
        KillNow();
        await _process.WaitForExitAsync();
        Running.TryRemove(this, out _);
    }

    /// <summary>SIGTERM, then waits for the graceful stop (the host's shutdown) to end; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? timeout = null)
    {
        if (!_process.HasExited)
        {
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
        }

        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            KillNow();
            throw new TimeoutException($"{Name} did not stop within {timeout} of SIGTERM:\n{Output}");
        }

        Running.TryRemove(this, out _);
        return _process.ExitCode;
    }

    /// <summary>SIGSTOP: the process freezes where it is (a stalled VM, a long GC pause), holding its leases and connections.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>: the process runs on as if no time had passed, for it.</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        using var kill = Process.Start("kill", [signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        Running.TryRemove(this, out _);
        _process.WaitForExit(); // drains the redirected output before the log closes
        _process.Dispose();
        lock (_output)
        {
            _log?.Dispose();
        }
    }

    public override string ToString() => $"{Name} (pid {Id}, {BaseAddress})";

    /// <summary>SIGKILL without waiting for the exit: for a test that must kill from inside a busy moment, synchronously.</summary>
    public void KillNow()
    {
        try
        {
            if (!_process.HasExited)
            {
                // SIGKILL to the process itself, at once: a tree kill first reads every process of the machine to find
                // the children, and on a loaded machine with the soak's hundred processes beside it the Api answered
                // about sixty more webhooks in that time (KilledMidBatchTests' kill landed after its batches). The
                // services start no child processes.
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > KeptLines)
            {
                _output.Dequeue();
            }

            _log?.WriteLine(line);
        }
    }

    private async Task WaitUntilReadyAsync(string? readinessPath, TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it was ready:\n{Output}");
            }

            try
            {
                if (readinessPath is null)
                {
                    using var tcp = new TcpClient();
                    await tcp.ConnectAsync("127.0.0.1", BaseAddress.Port);
                    return;
                }

                using var response = await client.GetAsync(readinessPath);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or SocketException or TaskCanceledException)
            {
                // Not listening (or not answering) yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} was not ready ({readinessPath ?? "listening"}) within {timeout}:\n{Output}");
    }

    private static ProcessStartInfo StartInfo(string assemblyPath, IReadOnlyDictionary<string, string> variables, string[] arguments)
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

        // Besides where things are, only the runtime settings scripts/test.sh gives every process of a run (CPU, not behaviour).
        start.Environment.Clear();
        foreach (var inherited in new[] { "PATH", "HOME", "DOTNET_ROOT", "TMPDIR", "DOTNET_TieredPGO", "DOTNET_gcServer" })
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

        return start;
    }
}
