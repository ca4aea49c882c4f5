using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Log levels for the framework's chattiest categories, as the ASP.NET Core templates ship them: at
/// Information, ASP.NET Core logs two lines per request and EF Core one per SQL statement. On the webhook
/// path that was several console lines per event, a sixth of the Api's CPU in the ingest profile
/// (docs/performance.md), and it buried our own events. Our own categories stay at Information.
/// Added as the lowest-priority configuration source, so <c>Logging__LogLevel__…</c> variables (or any other
/// source) still override each of them.
/// </summary>
public static class LoggingDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> LogLevels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Warning",
    };

    public static TBuilder AddLoggingDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ((IList<IConfigurationSource>)builder.Configuration.Sources).Insert(0, new MemoryConfigurationSource { InitialData = LogLevels });
        return builder;
    }
}
