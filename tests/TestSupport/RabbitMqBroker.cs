using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace PuffinOffset.TestSupport;

/// <summary>
/// A real, isolated RabbitMQ node (Debian's rabbitmq-server) with its own data folder and free ports,
/// started and stopped by the tests. Several can run at once; each test gets its own virtual host
/// (through the management API) so parallel tests never consume each other's messages.
/// A node started <c>killable</c> (the chaos soak's) runs with an epmd of its own, both in a process group of their
/// own, so that <see cref="KillAsync"/> can SIGKILL the whole node as a crashed host would, and a watchdog kills that
/// group if the process that started it ends without stopping it (<see cref="ProcessWatchdog"/>); the watchdog kills any
/// other node's Erlang VM then too.
/// </summary>
public sealed class RabbitMqBroker : IAsyncDisposable
{
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    /// <summary>How often the readiness and shutdown waits look again; each wait has its own deadline.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly Lazy<Task<RabbitMqBroker>> SharedBroker = new(() => StartAsync("shared"));

    private readonly string _baseFolder;
    private readonly string _nodeName;
    private readonly HttpClient _management;

    /// <summary>The port of the node's own epmd when it is killable; null: the machine's shared epmd (started by the first node).</summary>
    private readonly int? _epmdPort;

    private Process? _process;

    /// <summary>Where the node writes its Erlang VM's pid as it boots.</summary>
    private string PidFile => Path.Combine(_baseFolder, "rabbitmq.pid");

    public int AmqpPort { get; }
    public int ManagementPort { get; }

    private RabbitMqBroker(string name, bool killable)
    {
        var unique = $"{name}-{Guid.NewGuid().ToString("N")[..10]}";
        _baseFolder = Path.Combine(Path.GetTempPath(), "puffin-rabbitmq", unique);
        _nodeName = $"puffin-{unique}@localhost";
        AmqpPort = FreeTcpPort();
        ManagementPort = FreeTcpPort();
        _epmdPort = killable ? FreeTcpPort() : null;
        _management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ManagementPort}/api/") };
        _management.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
    }

    /// <summary>One broker for the whole test run, stopped when the process exits.</summary>
    public static Task<RabbitMqBroker> Shared => SharedBroker.Value;

    /// <param name="killable">
    /// The node and an epmd of its own in a process group of their own, for <see cref="KillAsync"/>: the machine's
    /// shared epmd serves every other test's node and must not be killed with this one.
    /// </param>
    public static async Task<RabbitMqBroker> StartAsync(string name = "broker", bool killable = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            var broker = new RabbitMqBroker(name, killable);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => broker.StopAsync().GetAwaiter().GetResult();
            try
            {
                await broker.StartProcessAsync();
                return broker;
            }
            catch (InvalidOperationException) when (attempt < 3 && broker.LostAPortRace())
            {
                // A port found free was taken by another process before the node bound it: new ports, new node.
            }
        }
    }

    /// <summary>The node stopped at boot because one of its ports was taken (eaddrinuse in its log).</summary>
    private bool LostAPortRace()
    {
        var log = Path.Combine(_baseFolder, "log");
        return Directory.Exists(log) && Directory.EnumerateFiles(log, "*.log")
            .Any(file => File.ReadAllText(file).Contains("eaddrinuse", StringComparison.Ordinal));
    }

    /// <summary>An AMQP URI for a fresh virtual host of this broker.</summary>
    public async Task<string> CreateVirtualHostAsync(string? name = null)
    {
        var vhost = name ?? $"test-{Guid.NewGuid():N}";
        var escaped = Uri.EscapeDataString(vhost);
        (await _management.PutAsync($"vhosts/{escaped}", null)).EnsureSuccessStatusCode();
        using var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await _management.PutAsync($"permissions/{escaped}/guest", permissions)).EnsureSuccessStatusCode();
        return ConnectionString(vhost);
    }

    /// <summary>
    /// Deletes a virtual host made by <see cref="CreateVirtualHostAsync"/> (given by its AMQP URI), with its queues and
    /// exchanges, once nothing uses it: a test's leftover queues would cost the node CPU for the rest of the run.
    /// </summary>
    public async Task DeleteVirtualHostAsync(string connectionString)
    {
        using var response = await _management.DeleteAsync($"vhosts/{Uri.EscapeDataString(VirtualHostOf(connectionString))}");
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            response.EnsureSuccessStatusCode();
        }
    }

    /// <summary>The virtual host an AMQP URI of <see cref="ConnectionString"/> names.</summary>
    public static string VirtualHostOf(string connectionString) =>
        Uri.UnescapeDataString(new Uri(connectionString).AbsolutePath.TrimStart('/'));

    public string ConnectionString(string vhost = "/") =>
        $"amqp://guest:guest@127.0.0.1:{AmqpPort}/{Uri.EscapeDataString(vhost)}";

    /// <summary>The type (<c>classic</c>, <c>quorum</c>) <paramref name="queue"/> was declared with (null if no such queue).</summary>
    public async Task<string?> QueueTypeAsync(string vhost, string queue)
    {
        using var response = await _management.GetAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("type").GetString();
    }

    /// <summary>Number of messages ready in <paramref name="queue"/> of <paramref name="vhost"/> (null if no such queue).</summary>
    public async Task<long?> QueueDepthAsync(string vhost, string queue)
    {
        using var response = await _management.GetAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.TryGetProperty("messages", out var messages) ? messages.GetInt64() : 0;
    }

    public sealed record QueueState(string Name, long Messages, long Unacknowledged);

    /// <summary>
    /// Every queue of <paramref name="vhost"/> (error and skipped queues included) with its message counts, as the
    /// management API last sampled them (every second on these nodes).
    /// </summary>
    public async Task<IReadOnlyList<QueueState>> QueuesAsync(string vhost)
    {
        using var response = await _management.GetAsync($"queues/{Uri.EscapeDataString(vhost)}?columns=name,messages,messages_unacknowledged");
        response.EnsureSuccessStatusCode();
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        static long Count(System.Text.Json.JsonElement queue, string name) =>
            queue.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.Number ? value.GetInt64() : 0;
        return [.. json.RootElement.EnumerateArray().Select(queue =>
            new QueueState(queue.GetProperty("name").GetString()!, Count(queue, "messages"), Count(queue, "messages_unacknowledged")))];
    }

    /// <summary>Drops every ready message of <paramref name="queue"/>, as a mistaken operator or a lost node would.</summary>
    public async Task PurgeQueueAsync(string vhost, string queue)
    {
        using var response = await _management.DeleteAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}/contents");
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Starts the node again on the same ports and data (after <see cref="StopAsync"/>).</summary>
    public Task RestartAsync() => StartProcessAsync();

    private async Task StartProcessAsync()
    {
        if (!File.Exists(ServerScript))
        {
            throw new InvalidOperationException(
                "rabbitmq-server is not installed. Run scripts/install-dependencies.sh (apt-get install rabbitmq-server).");
        }

        Directory.CreateDirectory(_baseFolder);
        File.WriteAllText(Path.Combine(_baseFolder, "enabled_plugins"), "[rabbitmq_management].");
        File.WriteAllText(Path.Combine(_baseFolder, "rabbitmq.conf"), $"""
            listeners.tcp.default = 127.0.0.1:{AmqpPort}
            management.tcp.port = {ManagementPort}
            management.tcp.ip = 127.0.0.1
            loopback_users.guest = true
            log.console = false
            log.file.level = warning
            collect_statistics_interval = 1000
            """);
        File.WriteAllText(Path.Combine(_baseFolder, "advanced.config"), "[].");
        File.WriteAllText(Path.Combine(_baseFolder, "rabbitmq-env.conf"), "");

        var start = _epmdPort is null ? new ProcessStartInfo(ServerScript) : OwnGroupStart();
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        foreach (var (key, value) in Environment())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("rabbitmq-server did not start.");
        if (_epmdPort is not null)
        {
            // setsid made the shell (which becomes rabbitmq-server) the leader of a new session and process group.
            ProcessWatchdog.Shared.GuardGroup(_nodeName, _process.Id);
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Generous: an Erlang node boots slowly while other test runs share the two cores (scripts/test.sh runs several).
        await WaitUntilReadyAsync(TimeSpan.FromMinutes(3));
        if (_epmdPort is null)
        {
            GuardVirtualMachine();
        }
    }

    /// <summary>
    /// A node on the machine's epmd is not in a process group of its own, so the watchdog guards its Erlang VM by pid
    /// (from the pid file the node writes as it boots): a test process that is killed before its exit handler has
    /// stopped the node (vstest ends a test host that is slow to exit) would otherwise leave the node running.
    /// </summary>
    private void GuardVirtualMachine()
    {
        if (File.Exists(PidFile) && int.TryParse(File.ReadAllText(PidFile).Trim(), out var pid))
        {
            ProcessWatchdog.Shared.GuardProcess(_nodeName, pid);
        }
    }

    /// <summary>
    /// <c>setsid</c>: a new process group holding epmd (in the foreground, so it stays in the group instead of
    /// daemonizing out of it) and then, once epmd answers, rabbitmq-server in the same process; the node is told not
    /// to start an epmd of its own.
    /// </summary>
    private static ProcessStartInfo OwnGroupStart()
    {
        var start = new ProcessStartInfo("setsid");
        foreach (var argument in new[]
                 {
                     "sh", "-c",
                     $"""epmd -port "$ERL_EPMD_PORT" & until epmd -port "$ERL_EPMD_PORT" -names >/dev/null 2>&1; do sleep 0.1; done; exec {ServerScript}""",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    private IEnumerable<(string, string)> Environment()
    {
        if (_epmdPort is { } epmdPort)
        {
            yield return ("ERL_EPMD_PORT", epmdPort.ToString());
            yield return ("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-start_epmd false");
        }

        yield return ("HOME", _baseFolder);
        yield return ("RABBITMQ_NODENAME", _nodeName);
        yield return ("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1");
        yield return ("RABBITMQ_NODE_PORT", AmqpPort.ToString());
        yield return ("RABBITMQ_DIST_PORT", FreeTcpPort().ToString());
        yield return ("RABBITMQ_MNESIA_BASE", Path.Combine(_baseFolder, "mnesia"));
        yield return ("RABBITMQ_LOG_BASE", Path.Combine(_baseFolder, "log"));
        yield return ("RABBITMQ_PID_FILE", PidFile);
        yield return ("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(_baseFolder, "enabled_plugins"));
        yield return ("RABBITMQ_CONFIG_FILE", Path.Combine(_baseFolder, "rabbitmq"));
        yield return ("RABBITMQ_ADVANCED_CONFIG_FILE", Path.Combine(_baseFolder, "advanced.config"));
        yield return ("RABBITMQ_CONF_ENV_FILE", Path.Combine(_baseFolder, "rabbitmq-env.conf"));
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException(
                    $"rabbitmq-server exited with code {_process.ExitCode}; see {Path.Combine(_baseFolder, "log")}.");
            }

            try
            {
                using var response = await _management.GetAsync("overview");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(PollInterval);
        }

        throw new TimeoutException($"RabbitMQ node {_nodeName} was not ready within {timeout}.");
    }

    /// <summary>Stops the node gracefully (SIGTERM to rabbitmq-server, which traps it) and waits for it.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        if (_epmdPort is not null)
        {
            // Its epmd (and a child a hung stop left behind) goes with it; the watchdog has nothing left to kill.
            await KillGroupAsync(process);
        }
        else
        {
            ProcessWatchdog.Shared.Release(_nodeName);
        }

        await WaitForPortClosedAsync(AmqpPort, TimeSpan.FromSeconds(15));
    }

    /// <summary>
    /// SIGKILL of the whole node, as a host that loses power: the Erlang VM (beam.smp), its port programs and its
    /// epmd at once, nothing flushed, nothing deregistered. <see cref="RestartAsync"/> starts it again on the same
    /// data; durable queues and the persistent messages they had confirmed must still be there. Only for a node
    /// started <c>killable</c>.
    /// </summary>
    public async Task KillAsync()
    {
        if (_epmdPort is null)
        {
            throw new InvalidOperationException("Only a node started killable (its own epmd and process group) may be killed.");
        }

        if (_process is { } process)
        {
            await KillGroupAsync(process);
        }

        await WaitForPortClosedAsync(AmqpPort, TimeSpan.FromSeconds(15));
        await WaitForPortClosedAsync(_epmdPort.Value, TimeSpan.FromSeconds(15));
    }

    /// <summary>The node's process group id (the shell that became rabbitmq-server), or null when it is not running.</summary>
    public int? ProcessGroup => _epmdPort is not null && _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The port its own epmd listens on; null for a node on the machine's shared epmd.</summary>
    public int? EpmdPort => _epmdPort;

    private async Task KillGroupAsync(Process process)
    {
        ProcessSignals.KillGroup(process.Id);
        await process.WaitForExitAsync();
        ProcessWatchdog.Shared.Release(_nodeName);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _management.Dispose();
        try
        {
            Directory.Delete(_baseFolder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: it is in the temp folder.
        }
    }

    private static async Task WaitForPortClosedAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
            }
            catch (SocketException)
            {
                return;
            }

            await Task.Delay(PollInterval);
        }
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
