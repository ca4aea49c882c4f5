using Microsoft.Extensions.Options;

namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>
/// In Production a dry run is almost certainly a forgotten <c>WREN_DRY_RUN=false</c>: orders are shown
/// fulfilled while nothing is bought. Said once, loudly, at startup (the one intended startup warning).
/// </summary>
public sealed partial class DryRunWarning(IOptions<WrenOptions> wren, IHostEnvironment environment, ILogger<DryRunWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (wren.Value.DryRun && environment.IsProduction())
        {
            LogDryRunInProduction();
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "WREN_DRY_RUN is true in Production: no offsets are being bought, yet orders will show as fulfilled. Set WREN_DRY_RUN=false to buy them.")]
    private partial void LogDryRunInProduction();
}
