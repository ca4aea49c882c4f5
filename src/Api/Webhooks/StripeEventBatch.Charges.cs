using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;

namespace PuffinOffset.Api.Webhooks;

/// <summary>Refunds and disputes: what happened to the money after the order was paid.</summary>
public sealed partial class StripeEventBatch
{
    private async Task<(string Outcome, Guid? OrderId)> ApplyChargeAsync(ChargeEvent stripeEvent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (stripeEvent.Type is not (ChargeEvent.ChargeRefunded or ChargeEvent.DisputeCreated or ChargeEvent.DisputeClosed))
        {
            return (WebhookOutcome.Ignored, null);
        }

        // Found by payment intent in the database: what the batch changed so far (a payment intent an order
        // just learned) is written first. Refunds and disputes are rare next to payments.
        await WriteRowsAsync();
        var order = stripeEvent.PaymentIntentId is { } paymentIntentId
            ? await db.Orders.OrderBy(o => o.CreatedAt).FirstOrDefaultAsync(o => o.PaymentIntentId == paymentIntentId, cancellationToken)
            : null;
        if (order is null)
        {
            metrics.UnknownOrderEvent(stripeEvent.Type);
            LogUnknownPaymentIntent(logger, stripeEvent.EventId, stripeEvent.Type, stripeEvent.PaymentIntentId);
            return (WebhookOutcome.UnknownOrder, null);
        }

        switch (stripeEvent.Type)
        {
            case ChargeEvent.ChargeRefunded:
                return (await ApplyRefundAsync(stripeEvent, order, now), order.Id);
            case ChargeEvent.DisputeCreated:
                order.OpenDispute(stripeEvent.ObjectId, stripeEvent.DisputeReason, now);
                LogDispute(logger, stripeEvent.EventId, order.Id, stripeEvent.ObjectId, stripeEvent.DisputeStatus);
                return (WebhookOutcome.Applied, order.Id);
            default:
                order.CloseDispute(stripeEvent.ObjectId, stripeEvent.DisputeStatus, now);
                LogDispute(logger, stripeEvent.EventId, order.Id, stripeEvent.ObjectId, stripeEvent.DisputeStatus);
                return (WebhookOutcome.Applied, order.Id);
        }
    }

    /// <summary>
    /// A refund or dispute can reach us before the Checkout event that tells us its payment intent (that event
    /// failed and Stripe is still retrying it): it was recorded as <c>unknown_order</c> with its payment intent.
    /// When the order learns the payment intent, an operator is asked to look, since the payment may be gone.
    /// </summary>
    private void FlagEarlierPaymentEvents(Order order, string paymentIntentId, DateTimeOffset now, bool refundApplied = false)
    {
        var earlier = _earlierPaymentEvents
            .Where(e => e.PaymentIntentId == paymentIntentId && !(refundApplied && e.Type == ChargeEvent.ChargeRefunded))
            .Select(e => e.Type).ToList();
        if (earlier.Count > 0)
        {
            order.RequireAttention(OrderAttention.PaymentEventsBeforeCheckout(earlier.Distinct()), now);
            LogEarlierPaymentEvents(logger, order.Id, paymentIntentId, string.Join(", ", earlier));
        }
    }

    /// <summary>The largest full refund Stripe reported for the payment before any order knew it; null when none was full.</summary>
    private EarlierPaymentEvent? EarlierFullRefund(string paymentIntentId) => _earlierPaymentEvents
        .Where(e => e.PaymentIntentId == paymentIntentId && e.Type == ChargeEvent.ChargeRefunded && e.FullRefund)
        .OrderByDescending(e => e.AmountRefunded)
        .FirstOrDefault();

    /// <summary>The largest partial refund Stripe reported for the payment before any order knew it; null when none.</summary>
    private EarlierPaymentEvent? EarlierPartialRefund(string paymentIntentId) => _earlierPaymentEvents
        .Where(e => e.PaymentIntentId == paymentIntentId && e.Type == ChargeEvent.ChargeRefunded && !e.FullRefund && e.AmountRefunded > 0)
        .OrderByDescending(e => e.AmountRefunded)
        .FirstOrDefault();

    /// <summary>
    /// A Checkout event names a payment that Stripe already told us was refunded in full (the refund overtook
    /// this event): the refund is final, so the order is refunded instead of paid and no offset is ever bought.
    /// <see cref="OrderRefunded"/> still goes out, as for any refund, so Fulfillment records the cancellation.
    /// </summary>
    private async Task<string> ApplyEarlierRefundAsync(CheckoutSessionEvent stripeEvent, Order order, EarlierPaymentEvent refund, DateTimeOffset now)
    {
        var from = order.Status;
        order.RememberPaymentIntent(stripeEvent.PaymentIntentId);
        if (order.ApplyRefund(refund.AmountRefunded, fullRefund: true, now) != RefundChange.Refunded)
        {
            LogRefused(logger, stripeEvent.EventId, stripeEvent.Type, order.Id, from, OrderStatus.Refunded);
            return WebhookOutcome.RefusedTransition;
        }

        // Disputes that overtook the Checkout event still need an operator; the refund itself is settled.
        FlagEarlierPaymentEvents(order, stripeEvent.PaymentIntentId!, now, refundApplied: true);
        await WithdrawPaymentAsync(order);
        Enqueue(new OrderRefunded(order.Id, order.AmountRefunded, now), now);
        _afterCommit.Add(metrics.OrderRefunded);
        LogRefundedBeforePayment(logger, stripeEvent.EventId, stripeEvent.Type, order.Id, from, order.AmountRefunded);
        return WebhookOutcome.Applied;
    }

    private async Task<string> ApplyRefundAsync(ChargeEvent stripeEvent, Order order, DateTimeOffset now)
    {
        var from = order.Status;
        switch (order.ApplyRefund(stripeEvent.AmountRefunded, stripeEvent.IsFullRefund, now))
        {
            case RefundChange.Refunded:
                // Fulfillment cancels a purchase it has not started; one it has started is the attention above.
                await WithdrawPaymentAsync(order);
                Enqueue(order.ToOrderRefunded(), now);
                _afterCommit.Add(metrics.OrderRefunded);
                LogRefunded(logger, stripeEvent.EventId, order.Id, from, order.AmountRefunded);
                return WebhookOutcome.Applied;
            case RefundChange.Recorded:
                LogRefundRecorded(logger, stripeEvent.EventId, order.Id, order.Status, order.AmountRefunded, order.AmountTotal);
                return WebhookOutcome.Applied;
            default:
                LogRefused(logger, stripeEvent.EventId, stripeEvent.Type, order.Id, from, OrderStatus.Refunded);
                return WebhookOutcome.RefusedTransition;
        }
    }

    /// <summary>
    /// A payment refunded in full whose <see cref="PaymentCompleted"/> is still in our outbox (the broker was down) is
    /// withdrawn with the refund: Fulfillment never hears of it and buys nothing, instead of receiving the payment
    /// first and the refund only once the outbox has published both (its backlog hold only sees the broker).
    /// </summary>
    private async Task WithdrawPaymentAsync(Order order)
    {
        // A PaymentCompleted of this batch is held for the multi-row insert: on disk first, so the withdrawal finds it.
        await WriteRowsAsync();
        var withdrawn = await db.WithdrawUnpublishedAsync<PaymentCompleted>(order.Id, CancellationToken.None);
        if (withdrawn > 0)
        {
            _afterCommit.Add(() =>
            {
                outboxMetrics.Withdrawn(nameof(PaymentCompleted), withdrawn);
                LogPaymentWithdrawn(logger, order.Id, withdrawn);
            });
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId} was refunded in full before its payment was published: {Count} PaymentCompleted withdrawn from the outbox, Fulfillment will buy nothing")]
    private static partial void LogPaymentWithdrawn(ILogger logger, Guid orderId, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Order {OrderId} learned payment intent {PaymentIntentId}, for which Stripe had already sent {EventTypes}: an operator must check the payment")]
    private static partial void LogEarlierPaymentEvents(ILogger logger, Guid orderId, string paymentIntentId, string eventTypes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} ({EventType}) is for payment intent {PaymentIntentId}, which matches no order")]
    private static partial void LogUnknownPaymentIntent(ILogger logger, string eventId, string eventType, string? paymentIntentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} ({EventType}) names a payment Stripe had already refunded in full ({AmountRefunded} cents): order {OrderId} went from {From} to refunded, and no offset will be bought")]
    private static partial void LogRefundedBeforePayment(ILogger logger, string eventId, string eventType, Guid orderId, OrderStatus from, long amountRefunded);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} refunded order {OrderId} in full ({AmountRefunded} cents) while it was {From}")]
    private static partial void LogRefunded(ILogger logger, string eventId, Guid orderId, OrderStatus from, long amountRefunded);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} refunded {AmountRefunded} of {AmountTotal} cents of order {OrderId}, which stays {Status}")]
    private static partial void LogRefundRecorded(ILogger logger, string eventId, Guid orderId, OrderStatus status, long amountRefunded, long amountTotal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId}: dispute {DisputeId} on order {OrderId} is {DisputeStatus}")]
    private static partial void LogDispute(ILogger logger, string eventId, Guid orderId, string? disputeId, string? disputeStatus);
}

/// <summary>A refund or dispute recorded before any order had its payment intent; the refund's amount when it is one.</summary>
internal sealed record EarlierPaymentEvent(string PaymentIntentId, string Type, long AmountRefunded, bool FullRefund);
