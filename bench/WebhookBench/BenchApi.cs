using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.WebhookBench;

/// <summary>The real Api in this process, on Kestrel (real HTTP on loopback), with quiet logging.</summary>
public sealed class BenchApi(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<ApiEntryPoint>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
    }
}
