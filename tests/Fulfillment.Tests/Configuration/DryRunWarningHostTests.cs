using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Configuration;

/// <summary>The service as it starts in Production: the dry-run warning is part of every start, not only of the class.</summary>
[Trait("Engine", "Neutral")]
public sealed class DryRunWarningHostTests : FulfillmentScenario
{
    [Fact]
    public async Task A_dry_run_Fulfillment_in_Production_warns_at_every_start()
    {
        var logs = new LogRecorder(LogLevel.Warning);
        for (var start = 1; start <= 2; start++)
        {
            await using var fulfillment = await StartFulfillmentAsync(
                settings =>
                {
                    settings["WREN_DRY_RUN"] = "true";
                    settings[HostDefaults.EnvironmentKey] = Environments.Production;
                },
                services => services.AddLogging(l => l.AddProvider(logs)));

            // As the service runs when nothing names its environment (test hosts run as Testing unless told).
            Assert.True(fulfillment.Services.GetRequiredService<IHostEnvironment>().IsProduction());
            Assert.Equal(start, logs.Entries.Count(e => e.Level == LogLevel.Warning
                && e.Message.Contains("no offsets are being bought", StringComparison.Ordinal)));
        }
    }
}
