using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// The last look at Wren for fulfilments whose POST's answer was lost (<see cref="OffsetFulfillment.LateOrderCheckPending"/>):
/// <c>Fulfillment__LateOrderCheckAfter</c> after their outcome, their note is looked up once more. The lookup before a
/// new POST waits for the lost request's timeout plus the settle time, but Wren promises no bound on finishing a
/// request whose client has gone: under load it stored such an order after that lookup had missed it, and the second
/// order went unreported (found by the chaos soak). A late order found here is recorded and sent to the Api in
/// <c>OffsetOrderPlaced</c> (<c>DuplicateWrenOrderIds</c>, or an offset bought for a refunded or failed order), and
/// counted in <c>puffin_wren_duplicate_orders_detected_total</c> once committed. Lookups only read, so replicas may race: the
/// write re-reads the row and the second one finds nothing left to do.
/// </summary>
public sealed partial class LateWrenOrderCheck(
    IServiceScopeFactory scopes,
    WrenRateLimit rateLimit,
    FulfillmentTelemetry telemetry,
    IOptions<FulfillmentOptions> options,
    TimeProvider time,
    ILogger<LateWrenOrderCheck> logger) : BackgroundService
{
    private const int Batch = 16;

    /// <summary>
    /// The fulfilments whose last lookup is due, oldest first, read through the partial index of the pending ones
    /// (<see cref="OffsetFulfillmentConfiguration.LateOrderChecksByAge"/>), not through the (State, NextAttemptAt)
    /// index that holds every placed fulfilment of the history. Each branch repeats the pending filter because
    /// SQLite matches a partial index to each branch of an OR on its own.
    /// </summary>
    public static IQueryable<Guid> Due(FulfillmentDbContext db, DateTimeOffset cutoff, int batch) =>
        db.Fulfillments.AsNoTracking()
            .Where(f => (f.LateOrderCheckPending && f.State == FulfillmentState.Placed && f.PlacedAt <= cutoff)
                || (f.LateOrderCheckPending && f.State == FulfillmentState.Cancelled && f.CancelledAt <= cutoff)
                || (f.LateOrderCheckPending && f.State == FulfillmentState.Failed && f.FailedAt <= cutoff))
            .OrderBy(f => f.UpdatedAt)
            .Select(f => f.OrderId)
            .Take(batch);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckDueAsync(stoppingToken);
                await Task.Delay(options.Value.PollInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The rows keep their pending check: the next pass tries again.
                LogPassFailed(ex);
                await Task.Delay(options.Value.PollInterval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task CheckDueAsync(CancellationToken stoppingToken)
    {
        if (rateLimit.PausedUntil(time.GetUtcNow()) is not null)
        {
            return;
        }

        var cutoff = time.GetUtcNow() - options.Value.LateOrderCheckAfter;
        // A typed HttpClient per pass, as the factory intends (not one held for the life of the process).
        await using var pass = scopes.CreateAsyncScope();
        var wren = pass.ServiceProvider.GetRequiredService<WrenClient>();
        List<Guid> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
            due = await Due(db, cutoff, Batch).ToListAsync(stoppingToken);
        }

        foreach (var orderId in due)
        {
            var lookup = await wren.FindOrderByNoteAsync(OffsetFulfillment.NoteFor(orderId), stoppingToken);
            if (lookup is WrenLookupResult.Failed failed)
            {
                // Wren unreachable or limiting us: the check stays pending for the next pass.
                if (failed.RateLimit?.Until(time.GetUtcNow()) is { } until)
                {
                    rateLimit.Pause(until, failed.Error);
                }

                LogLookupFailed(orderId, failed.Error);
                return;
            }

            IReadOnlyList<string> found = lookup is WrenLookupResult.Found match ? match.AllIds : [];
            await RecordAsync(orderId, found);
        }
    }

    private async Task RecordAsync(Guid orderId, IReadOnlyList<string> found)
    {
        int extra;
        bool sendPlaced;
        FulfillmentState state;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
            await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
            var fulfillment = await db.Fulfillments.SingleAsync(f => f.OrderId == orderId);
            if (!fulfillment.LateOrderCheckPending || fulfillment.OutcomeAt is null)
            {
                return; // another replica checked it, or an operator's replay reopened it meanwhile
            }

            var now = time.GetUtcNow();
            (extra, sendPlaced) = fulfillment.RecordLateOrderCheck(found, now);
            if (sendPlaced)
            {
                // Placed now (with the late orders listed): its outcome is sent again.
                fulfillment.EnqueueOutcome(db, now);
            }

            state = fulfillment.State;
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception ex) when (DatabaseErrors.IsSerializationFailure(ex) || ex is DbUpdateConcurrencyException)
        {
            // Another replica (or step) wrote the row meanwhile: the next pass reads it again.
            return;
        }

        if (extra > 0)
        {
            telemetry.DuplicateOrdersDetected(extra);
        }

        if (sendPlaced)
        {
            LogLateOrders(orderId, string.Join(", ", found), state, extra);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Wren holds {WrenOrderIds} with the note of order {OrderId}, found by the late-order check after a lost answer: the fulfilment is {State}, {Extra} counted as duplicate(s) to refund; sent to the Api")]
    private partial void LogLateOrders(Guid orderId, string wrenOrderIds, FulfillmentState state, int extra);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Late-order check of order {OrderId} could not look it up at Wren ({Error}); trying again at the next pass")]
    private partial void LogLookupFailed(Guid orderId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A pass of the late-order check failed; trying again at the next pass")]
    private partial void LogPassFailed(Exception exception);
}
