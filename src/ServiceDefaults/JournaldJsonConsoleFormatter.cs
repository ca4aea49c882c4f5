using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The built-in JSON line, prefixed with its syslog priority (<c>&lt;3&gt;{…}</c>): journald takes the prefix as
/// the entry's priority (<c>journalctl -p err</c> works) and stores the JSON as the message.
/// </summary>
public sealed class JournaldJsonConsoleFormatter(IServiceProvider services) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "journald-json";

    // Resolved on first use: the console provider builds every formatter, this one included, before any is used.
    private ConsoleFormatter? _json;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        _json ??= services.GetServices<ConsoleFormatter>().First(f => f.Name == ConsoleFormatterNames.Json);
        textWriter.Write(Priority(logEntry.LogLevel));
        _json.Write(logEntry, scopeProvider, textWriter);
    }

    // sd-daemon(3) levels, as the built-in systemd formatter maps them.
    private static string Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "<7>",
        LogLevel.Information => "<6>",
        LogLevel.Warning => "<4>",
        LogLevel.Error => "<3>",
        LogLevel.Critical => "<2>",
        _ => "<6>",
    };
}
