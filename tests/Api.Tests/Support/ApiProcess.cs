using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>
/// The built Api (<c>dotnet Api.dll</c>) as its own OS process, with the Api tests' settings as its environment,
/// for tests that kill it (SIGKILL: mid-request, mid-transaction) and start it again on the same database and
/// port, as systemd's Restart= would. Every generation's output goes to a log file in <paramref name="logFolder"/>.
/// </summary>
public sealed class ApiProcess(Dictionary<string, string> variables, string logFolder) : IAsyncDisposable
{
    private readonly List<ServiceProcess> _generations = [];

    public ServiceProcess Current => _generations[^1];

    public Uri BaseAddress => Current.BaseAddress;

    /// <param name="settings">Configuration keys (<c>Outbox:PollInterval</c>), passed as the environment variables that set them (<c>Outbox__PollInterval</c>).</param>
    public static async Task<ApiProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, string logFolder)
    {
        var variables = settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        var api = new ApiProcess(variables, logFolder);
        await api.StartGenerationAsync(port: null);
        return api;
    }

    /// <summary>SIGKILL: the process dies at once, whatever it holds.</summary>
    public Task KillAsync() => Current.KillAsync();

    /// <summary>A new process with the same variables on the same port and database.</summary>
    public Task RestartAsync() => StartGenerationAsync(Current.BaseAddress.Port);

    /// <summary>The newest output of every generation, for a failure message.</summary>
    public string Outputs() => string.Join("\n\n", _generations.Select(api =>
        $"--- {api}{(api.HasExited ? " (exited)" : "")}\n{string.Join('\n', api.Output.Split('\n').TakeLast(40))}"));

    private async Task StartGenerationAsync(int? port)
    {
        var generation = _generations.Count + 1;
        _generations.Add(await ServiceProcess.StartAsync(typeof(ApiEntryPoint).Assembly.Location, variables, $"api (generation {generation})",
            port: port, logPath: Path.Combine(logFolder, $"api-{generation}.log")));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var api in _generations)
        {
            await api.DisposeAsync();
        }
    }
}
