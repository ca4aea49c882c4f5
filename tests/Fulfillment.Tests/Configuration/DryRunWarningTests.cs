using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;

namespace PuffinOffset.Fulfillment.Tests.Configuration;

[Trait("Engine", "Neutral")]
public sealed class DryRunWarningTests
{
    [Theory]
    [InlineData("Production", true, true)]
    [InlineData("Production", false, false)]
    [InlineData("Development", true, false)]
    public async Task A_dry_run_in_Production_warns_at_startup_that_nothing_is_bought(string environment, bool dryRun, bool warned)
    {
        var logger = new RecordingLogger();
        var warning = new DryRunWarning(Options.Create(new WrenOptions { DryRun = dryRun }), new Environment(environment), logger);

        await warning.StartAsync(CancellationToken.None);

        Assert.Equal(warned, logger.Warnings.Any(w => w.Contains("no offsets are being bought", StringComparison.Ordinal)));
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "Fulfillment";
        public string ContentRootPath { get; set; } = "";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }

    private sealed class RecordingLogger : ILogger<DryRunWarning>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}
