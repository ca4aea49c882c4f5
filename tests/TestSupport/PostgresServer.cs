using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace PuffinOffset.TestSupport;

/// <summary>
/// One throwaway PostgreSQL server per test run (scripts/postgres-local.sh, Debian's package), stopped once
/// the process has ended, and a fresh database per test. <c>PUFFIN_TEST_POSTGRES</c> (an Npgsql connection
/// string of a server's maintenance database) uses a server started elsewhere instead, e.g. by CI.
/// </summary>
public sealed class PostgresServer
{
    public const string ServerVariable = "PUFFIN_TEST_POSTGRES";

    private static readonly Lazy<Task<PostgresServer>> SharedServer = new(() => OperatingSystem.IsWindows()
        ? throw new PlatformNotSupportedException("The test PostgreSQL runs from Debian's package.")
        : StartAsync());

    private readonly string _adminConnectionString;

    /// <summary>The script and data folder of a server this process started (null for an external one).</summary>
    private readonly (string Script, string DataFolder)? _local;

    private PostgresServer(string adminConnectionString, (string Script, string DataFolder)? local = null)
    {
        _adminConnectionString = adminConnectionString;
        _local = local;
    }

    public static Task<PostgresServer> Shared => SharedServer.Value;

    /// <summary>A new, empty database; its connection string keeps few idle connections for long.</summary>
    public async Task<string> CreateDatabaseAsync(string purpose = "test")
    {
        var name = $"{purpose}_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        // Hundreds of test databases share one server: idle pooled connections are closed after seconds.
        return new NpgsqlConnectionStringBuilder(_adminConnectionString)
        {
            Database = name,
            MaxPoolSize = 20,
            ConnectionIdleLifetime = 2,
            ConnectionPruningInterval = 1,
        }.ToString();
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static async Task<PostgresServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } external)
        {
            return new PostgresServer(external);
        }

        // The postgres user (the server refuses to run as root) must be able to reach the data folder.
        var folder = Path.Combine("/tmp", $"puffin-postgres-{Guid.NewGuid().ToString("N")[..10]}");
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var script = Path.Combine(RepositoryRoot(), "scripts", "postgres-local.sh");
        var output = await RunAsync(script, "start", Path.Combine(folder, "pg"));
        StopWhenThisProcessEnds(script, folder);
        return new PostgresServer(output.Trim().Split('\n')[^1], (script, Path.Combine(folder, "pg")));
    }

    /// <summary>
    /// Stops the server (fast shutdown: every connection is cut) and starts it again on the same port and data, as
    /// a restarted database host would be; only for a server this process started.
    /// </summary>
    public async Task RestartAsync()
    {
        if (_local is not { } local)
        {
            throw new InvalidOperationException($"The server of {ServerVariable} was started elsewhere; it is not this process's to restart.");
        }

        var port = new NpgsqlConnectionStringBuilder(_adminConnectionString).Port.ToString(CultureInfo.InvariantCulture);
        await RunAsync(local.Script, "stop", local.DataFolder);
        await RunAsync(local.Script, "start", local.DataFolder, port);
    }

    /// <summary>Stops a server this process started (fast shutdown), as a database host that goes away; <see cref="StartAgainAsync"/> brings it back.</summary>
    public async Task StopAsync()
    {
        var local = _local ?? throw new InvalidOperationException($"The server of {ServerVariable} was started elsewhere; it is not this process's to stop.");
        await RunAsync(local.Script, "stop", local.DataFolder);
    }

    /// <summary>Starts a server stopped by <see cref="StopAsync"/> again, on the same port and data.</summary>
    public async Task StartAgainAsync()
    {
        var local = _local ?? throw new InvalidOperationException($"The server of {ServerVariable} was started elsewhere; it is not this process's to start.");
        await RunAsync(local.Script, "start", local.DataFolder, new NpgsqlConnectionStringBuilder(_adminConnectionString).Port.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// pg_ctl daemonises the server, so it outlives the test process unless stopped, and a ProcessExit handler
    /// is not enough: the test runner ends its test host shortly after the run, before a stop could finish
    /// (measured: a server left behind by every test run). A watchdog outside this process tree (setsid
    /// --fork) stops the server and removes its folder once this process is gone, however it ended.
    /// </summary>
    private static void StopWhenThisProcessEnds(string script, string folder)
    {
        var start = new ProcessStartInfo("setsid");
        foreach (var argument in new[]
                 {
                     "--fork", "bash", "-c",
                     """exec </dev/null >/dev/null 2>&1; while kill -0 "$0" 2>/dev/null; do sleep 1; done; "$1" stop "$2/pg"; rm -rf "$2" """,
                     Environment.ProcessId.ToString(CultureInfo.InvariantCulture), script, folder,
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var watchdog = Process.Start(start)!;
        watchdog.WaitForExit(); // setsid --fork returns at once; the watchdog runs on, orphaned
    }

    private static async Task<string> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(script)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        }

        return await output;
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "PuffinOffset.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("PuffinOffset.sln not found above the test binaries.");
    }
}
