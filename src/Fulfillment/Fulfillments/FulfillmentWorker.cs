using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Persistence;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>
/// Runs due fulfilments: woken by the consumer, at the next due time, or by the poll. Different
/// orders run concurrently up to <see cref="FulfillmentOptions.MaxConcurrency"/>; an order already in
/// progress here is never picked up again. Fulfillment runs as a single instance (its SQLite file is
/// local); the row's concurrency token still stops a second worker from taking the same attempt.
/// </summary>
public sealed partial class FulfillmentWorker(
    IServiceScopeFactory scopes,
    FulfillmentSignal signal,
    IOptions<FulfillmentOptions> options,
    TimeProvider time,
    ILogger<FulfillmentWorker> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Guid, Task> _inProgress = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = settings.PollInterval;
            try
            {
                wait = await StartDueAsync(settings.MaxConcurrency, stoppingToken) is { } nextDue && nextDue < wait ? nextDue : wait;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(ex);
            }

            await signal.WaitAsync(wait, time, stoppingToken);
        }

        await Task.WhenAll(_inProgress.Values);
    }

    /// <summary>Starts what is due and free; returns how long until the next scheduled fulfilment is due.</summary>
    private async Task<TimeSpan?> StartDueAsync(int maxConcurrency, CancellationToken stoppingToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        var now = time.GetUtcNow();
        var busy = _inProgress.Keys.ToList();
        var free = maxConcurrency - busy.Count;
        if (free > 0)
        {
            // Attempting rows that nobody here is working on were interrupted (crash, failed commit).
            var due = await db.Fulfillments.AsNoTracking()
                .Where(f => (f.State == FulfillmentState.Scheduled && f.NextAttemptAt <= now) || f.State == FulfillmentState.Attempting)
                .Where(f => !busy.Contains(f.OrderId))
                .OrderBy(f => f.NextAttemptAt)
                .Select(f => f.OrderId)
                .Take(free)
                .ToListAsync(stoppingToken);
            foreach (var orderId in due)
            {
                Start(orderId, stoppingToken);
            }

            if (due.Count == free)
            {
                // Possibly more due: look again as soon as one finishes (Start signals on completion).
                return null;
            }
        }

        var next = await db.Fulfillments.AsNoTracking()
            .Where(f => f.State == FulfillmentState.Scheduled && !busy.Contains(f.OrderId))
            .OrderBy(f => f.NextAttemptAt)
            .Select(f => (DateTimeOffset?)f.NextAttemptAt)
            .FirstOrDefaultAsync(stoppingToken);
        return next is { } at ? (at - time.GetUtcNow()) is var delay && delay > TimeSpan.Zero ? delay : TimeSpan.FromMilliseconds(10) : null;
    }

    private void Start(Guid orderId, CancellationToken stoppingToken)
    {
        // Claimed before the task exists, so the task's own removal can never run first.
        var claim = new TaskCompletionSource();
        if (!_inProgress.TryAdd(orderId, claim.Task))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<FulfillmentProcessor>().ProcessAsync(orderId, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down mid-step: the committed state says where to resume.
            }
            catch (Exception ex)
            {
                // The row keeps its last committed state; an Attempting row is recovered as an unknown outcome.
                LogStepFailed(ex, orderId);
                await DelayAfterFailureAsync(stoppingToken);
            }
            finally
            {
                _inProgress.TryRemove(orderId, out _);
                claim.SetResult();
                signal.Notify();
            }
        }, CancellationToken.None);
    }

    /// <summary>An unexpected error (e.g. the database refusing a write) must not turn into a hot loop.</summary>
    private async Task DelayAfterFailureAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.Value.RetryPolicy.DelayBeforeRetry(1), time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Looking for due fulfilments failed; trying again at the next poll")]
    private partial void LogPollFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Fulfilment step for order {OrderId} failed; its last committed state stands")]
    private partial void LogStepFailed(Exception exception, Guid orderId);
}
