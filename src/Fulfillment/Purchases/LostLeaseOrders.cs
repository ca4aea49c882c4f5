using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// Records the Wren orders of a step whose outcome write failed because its lease had been taken over: the fence
/// before the POST (<see cref="FulfillmentProcessor"/>) cannot stop a replica that stalls after it, so a second Wren
/// order is possible, and it must reach <c>DuplicateWrenOrderIds</c>, the Api's attention and
/// <c>puffin.wren.duplicate_orders_detected</c> instead of a log line. See <see cref="OffsetFulfillment.RecordWrenOrdersOfLostLease"/>.
/// </summary>
public sealed partial class LostLeaseOrders(
    IServiceScopeFactory scopes,
    FulfillmentTelemetry telemetry,
    TimeProvider time,
    ILogger<LostLeaseOrders> logger)
{
    private const int Attempts = 5;

    public async Task RecordAsync(Guid orderId, IReadOnlyList<string> wrenOrderIds, long? amountCharged)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (state, extra) = await WriteAsync(orderId, wrenOrderIds, amountCharged);
                // Counted once the commit holding the ids (and the placed message naming them) is durable.
                if (extra > 0)
                {
                    telemetry.DuplicateOrdersDetected(extra);
                }

                LogRecorded(orderId, string.Join(", ", wrenOrderIds), state, extra);
                return;
            }
            catch (Exception ex) when (attempt < Attempts && (DatabaseErrors.IsSerializationFailure(ex) || ex is DbUpdateConcurrencyException))
            {
                // Another replica wrote the row meanwhile (its own outcome, perhaps another Wren order): read it again.
            }
        }
    }

    private async Task<(FulfillmentState State, int Extra)> WriteAsync(Guid orderId, IReadOnlyList<string> wrenOrderIds, long? amountCharged)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FulfillmentDbContext>();
        await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
        var fulfillment = await db.Fulfillments.SingleAsync(f => f.OrderId == orderId);
        var now = time.GetUtcNow();
        var extra = fulfillment.RecordWrenOrdersOfLostLease(wrenOrderIds, amountCharged, now);
        if (db.Entry(fulfillment).State == EntityState.Unchanged)
        {
            return (fulfillment.State, 0);
        }

        if (fulfillment.State == FulfillmentState.Placed)
        {
            // Sent again with every Wren order known: the Api flags the order when there are several.
            fulfillment.EnqueueOutcome(db, now);
        }
        else
        {
            LogOrderForUnplacedFulfillment(orderId, string.Join(", ", wrenOrderIds), fulfillment.State);
        }

        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        return (fulfillment.State, extra);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Wren created {WrenOrderIds} for order {OrderId} in a step whose lease had been taken over; recorded on the fulfilment ({State}), {Extra} counted as duplicate(s) to refund")]
    private partial void LogRecorded(Guid orderId, string wrenOrderIds, FulfillmentState state, int extra);

    [LoggerMessage(Level = LogLevel.Error, Message = "Wren created {WrenOrderIds} for order {OrderId}, whose fulfilment is {State}: listed on it for an operator to refund or report")]
    private partial void LogOrderForUnplacedFulfillment(Guid orderId, string wrenOrderIds, FulfillmentState state);
}
