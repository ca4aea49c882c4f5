using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// Payment events recorded before their order knew the payment intent (<c>unknown_order</c>) are claimed by the order
/// that learns it: their record gets the order's id. Usually the Checkout event that teaches the order its payment
/// intent sees them and claims them itself. On PostgreSQL two replicas can record the two events at once, each in a
/// repeatable-read snapshot that cannot see the other's (the refund finds no order, the Checkout event finds no earlier
/// refund): <see cref="MissedPaymentEvents"/> then applies the unclaimed ones after both committed.
/// </summary>
public sealed partial class StripeEventBatch
{
    /// <summary>Marks the earlier payment events of <paramref name="paymentIntentId"/> this batch saw as the order's (none: no statement).</summary>
    private async Task ClaimEarlierPaymentEventsAsync(Order order, string paymentIntentId)
    {
        if (!_earlierPaymentEvents.Any(e => e.PaymentIntentId == paymentIntentId))
        {
            return;
        }

        await db.SaveChangesAsync(CancellationToken.None); // earlier events of this batch are rows before they are claimed
        await db.StripeEvents
            .Where(e => e.Outcome == WebhookOutcome.UnknownOrder && e.OrderId == null && e.PaymentIntentId == paymentIntentId)
            .ExecuteUpdateAsync(set => set.SetProperty(e => e.OrderId, order.Id), CancellationToken.None);
    }

    /// <summary>
    /// Applies the payment events of <paramref name="paymentIntentId"/> that were recorded as <c>unknown_order</c> and
    /// never claimed, although an order has that payment intent now: a refund as if it had arrived just now, a dispute
    /// as the attention a Checkout event would have raised for it. Returns how many it applied.
    /// </summary>
    internal async Task<int> ApplyMissedPaymentEventsAsync(string paymentIntentId, DateTimeOffset now)
    {
        var order = await db.Orders.OrderBy(o => o.CreatedAt).FirstOrDefaultAsync(o => o.PaymentIntentId == paymentIntentId);
        if (order is null)
        {
            return 0;
        }

        var missed = await db.StripeEvents.AsNoTracking()
            .Where(e => e.Outcome == WebhookOutcome.UnknownOrder && e.OrderId == null && e.PaymentIntentId == paymentIntentId)
            .OrderBy(e => e.ReceivedAt)
            .ToListAsync();
        foreach (var record in missed)
        {
            LogMissedPaymentEvent(logger, record.EventId, record.Type, order.Id, paymentIntentId);
            if (record.Type == ChargeEvent.ChargeRefunded)
            {
                var refund = new ChargeEvent(record.EventId, record.Type, record.ApiVersion, null, paymentIntentId, 0,
                    record.AmountRefunded ?? 0, record.FullRefund, null, null);
                await ApplyRefundAsync(refund, order, now);
            }
            else
            {
                order.RequireAttention(OrderAttention.PaymentEventsBeforeCheckout([record.Type]), now);
            }
        }

        // A write on each claimed row: two replicas applying the same event conflict, and the later one runs again.
        var ids = missed.Select(e => e.EventId).ToList();
        await db.StripeEvents.Where(e => ids.Contains(e.EventId) && e.OrderId == null)
            .ExecuteUpdateAsync(set => set.SetProperty(e => e.OrderId, order.Id), CancellationToken.None);
        return missed.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} ({EventType}) was recorded for no order while order {OrderId} learned its payment intent {PaymentIntentId} in another transaction: applied now")]
    private static partial void LogMissedPaymentEvent(ILogger logger, string eventId, string eventType, Guid orderId, string paymentIntentId);
}
