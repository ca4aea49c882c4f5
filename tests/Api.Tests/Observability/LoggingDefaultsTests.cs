using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.Api.Tests.Observability;

/// <summary>
/// The framework's per-request and per-statement logs are off by default (a sixth of the Api's CPU under
/// webhook load), our own events are not, and an operator can turn any of them back on by configuration.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class LoggingDefaultsTests
{
    private const string SqlStatements = "Microsoft.EntityFrameworkCore.Database.Command";
    private const string RequestLines = "Microsoft.AspNetCore.Hosting.Diagnostics";
    private const string OurWebhooks = "PuffinOffset.Api.Webhooks.StripeEventBatch";

    [Fact]
    public void Per_request_and_per_statement_logs_are_warnings_only_and_our_events_stay_at_information()
    {
        using var host = Build();
        var loggers = host.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(loggers.CreateLogger(SqlStatements).IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger(SqlStatements).IsEnabled(LogLevel.Warning));
        Assert.False(loggers.CreateLogger(RequestLines).IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger(OurWebhooks).IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void Configuration_turns_them_back_on()
    {
        using var host = Build(new Dictionary<string, string?>
        {
            [$"Logging:LogLevel:{SqlStatements}"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information",
        });
        var loggers = host.Services.GetRequiredService<ILoggerFactory>();

        Assert.True(loggers.CreateLogger(SqlStatements).IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger(RequestLines).IsEnabled(LogLevel.Information));
    }

    [Theory]
    [InlineData(LogLevel.Warning, "<4>")]
    [InlineData(LogLevel.Error, "<3>")]
    [InlineData(LogLevel.Information, "<6>")]
    public void Under_systemd_a_JSON_line_starts_with_its_journald_priority(LogLevel level, string prefix)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production });
        builder.Logging.AddConsole();
        builder.AddLoggingDefaults();
        using var host = builder.Build();
        var formatter = host.Services.GetServices<Microsoft.Extensions.Logging.Console.ConsoleFormatter>()
            .Single(f => f.Name == JournaldJsonConsoleFormatter.FormatterName);
        using var text = new StringWriter();

        formatter.Write(new Microsoft.Extensions.Logging.Abstractions.LogEntry<string>(level, "PuffinOffset.Test", new EventId(7), "order 42 paid", null, (state, _) => state),
            null, text);

        var line = text.ToString();
        Assert.StartsWith(prefix + "{", line, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(line[prefix.Length..]);
        Assert.Equal("order 42 paid", json.RootElement.GetProperty("Message").GetString());
    }

    /// <summary>As a service builds itself: its own configuration first, then the service defaults.</summary>
    private static IHost Build(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.AddLoggingDefaults();
        return builder.Build();
    }
}
