using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Logging as the services ship it, each default the lowest-priority configuration source, so
/// <c>Logging__…</c> variables (or any other source) still override it:
/// <list type="bullet">
/// <item>The framework's chattiest categories at Warning, as the ASP.NET Core templates ship them: at Information,
/// ASP.NET Core logs two lines per request and EF Core one per SQL statement (a sixth of the Api's CPU under
/// webhook load, docs/performance.md). Our own categories stay at Information.</item>
/// <item>In Production, one JSON object per line (the built-in JSON console formatter) with scopes: the trace and
/// span id of the work that wrote it, the client's address on request lines (<see cref="ClientAddressTelemetry"/>),
/// and the order id as a property of every one of our events about an order. Under systemd each line starts with
/// its journald priority (<see cref="JournaldJsonConsoleFormatter"/>), and the service reports ready and
/// stopping to systemd (<c>Type=notify</c>).</item>
/// </list>
/// </summary>
public static class LoggingDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> LogLevels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Warning",
    };

    public static readonly IReadOnlyDictionary<string, string?> ProductionConsole = new Dictionary<string, string?>
    {
        ["Logging:Console:FormatterName"] = ConsoleFormatterNames.Json,
        ["Logging:Console:FormatterOptions:IncludeScopes"] = "true",
        ["Logging:Console:FormatterOptions:UseUtcTimestamp"] = "true",
        ["Logging:Console:FormatterOptions:TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffZ",
    };

    public static TBuilder AddLoggingDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var defaults = new Dictionary<string, string?>(LogLevels);
        if (builder.Environment.IsProduction())
        {
            foreach (var (key, value) in ProductionConsole)
            {
                defaults[key] = value;
            }
        }

        ((IList<IConfigurationSource>)builder.Configuration.Sources).Insert(0, new MemoryConfigurationSource { InitialData = defaults });
        // Ready/stopping notifications and journald's formatter when started by systemd; nothing otherwise.
        builder.Services.AddSystemd();
        builder.Logging.AddConsoleFormatter<JournaldJsonConsoleFormatter, ConsoleFormatterOptions>();
        builder.Services.PostConfigure<ConsoleLoggerOptions>(options =>
        {
            // AddSystemd picks its plain-text formatter under systemd; JSON lines keep their priority prefix instead.
            if (options.FormatterName == ConsoleFormatterNames.Systemd && builder.Configuration["Logging:Console:FormatterName"] == ConsoleFormatterNames.Json)
            {
                options.FormatterName = JournaldJsonConsoleFormatter.FormatterName;
            }
        });
        return builder;
    }
}
