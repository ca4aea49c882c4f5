using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;

namespace PuffinOffset.Api.Portfolios;

/// <summary>
/// Wren's portfolio prices, cached for <see cref="WrenPricingOptions.PriceListTtl"/>. When Wren cannot be
/// reached the last known list is served (with a warning); with none known the caller gets
/// <see cref="PriceListUnavailableException"/> (503).
/// </summary>
public sealed partial class PriceList(
    IServiceScopeFactory scopeFactory,
    TimeProvider time,
    IOptions<WrenPricingOptions> options,
    ILogger<PriceList> logger)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile Snapshot? _snapshot;

    public async Task<IReadOnlyList<Portfolio>> GetAsync(CancellationToken cancellationToken)
    {
        if (Fresh(_snapshot) is { } fresh)
        {
            return fresh.Portfolios;
        }

        // One refresh at a time: a burst of checkouts after expiry makes one Wren call, not hundreds.
        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(_snapshot) is { } refreshed)
            {
                return refreshed.Portfolios;
            }

            try
            {
                await using var scope = scopeFactory.CreateAsyncScope();
                var portfolios = await scope.ServiceProvider.GetRequiredService<WrenPortfolioClient>().GetPortfoliosAsync(cancellationToken);
                _snapshot = new Snapshot(portfolios, time.GetUtcNow());
                return portfolios;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException
                                       && !cancellationToken.IsCancellationRequested)
            {
                if (_snapshot is { } stale)
                {
                    LogServingStale(logger, ex.GetType().Name, time.GetUtcNow() - stale.FetchedAt);
                    return stale.Portfolios;
                }

                LogUnavailable(logger, ex.GetType().Name);
                throw new PriceListUnavailableException(ex);
            }
        }
        finally
        {
            _refresh.Release();
        }
    }

    public async Task<Portfolio?> FindAsync(int portfolioId, CancellationToken cancellationToken) =>
        (await GetAsync(cancellationToken)).FirstOrDefault(p => p.Id == portfolioId);

    private Snapshot? Fresh(Snapshot? snapshot) =>
        snapshot is not null && time.GetUtcNow() - snapshot.FetchedAt < options.Value.PriceListTtl ? snapshot : null;

    private sealed record Snapshot(IReadOnlyList<Portfolio> Portfolios, DateTimeOffset FetchedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wren's price list could not be refreshed ({Failure}); serving the list fetched {Age} ago")]
    private static partial void LogServingStale(ILogger logger, string failure, TimeSpan age);

    [LoggerMessage(Level = LogLevel.Error, Message = "Wren's price list could not be fetched ({Failure}) and no earlier list is known")]
    private static partial void LogUnavailable(ILogger logger, string failure);
}

public sealed class PriceListUnavailableException(Exception inner)
    : Exception("Wren's price list is unavailable.", inner);
