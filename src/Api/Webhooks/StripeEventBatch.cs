using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.Api.Webhooks;

public static class WebhookOutcome
{
    public const string Applied = "applied";
    public const string RefusedTransition = "refused_transition";
    public const string UnknownOrder = "unknown_order";
    public const string Ignored = "ignored";
    public const string Duplicate = "duplicate";
    /// <summary>Nothing moved, but the order now asks an operator to look at it.</summary>
    public const string Attention = "attention";
}

/// <summary>
/// One transaction's worth of verified events, created only by <see cref="StripeEventWriter"/> inside its
/// write transaction: <see cref="LoadAsync"/> reads what the events need, <see cref="ApplyAsync"/> applies and
/// records each (the event record, the order's change and the outgoing message — <see cref="PaymentCompleted"/>,
/// <see cref="OrderRefunded"/> — commit together or not at all), the writer saves them in one round of
/// statements, and <see cref="AfterCommit"/> reports what only counts once the commit returned. The batch's
/// orders stay tracked, so each event reads its order as the events before it in the batch left it.
/// </summary>
public sealed partial class StripeEventBatch
{
    private readonly ApiDbContext db;
    private readonly ApiMetrics metrics;
    private readonly OutboxMetrics outboxMetrics;
    private readonly ILogger logger;

    /// <summary>Counted only once the transaction committed.</summary>
    private readonly List<Action> _afterCommit = [];

    /// <summary>
    /// The batch's event records and outbox rows, written as one multi-row insert per table (<see cref="WriteRowsAsync"/>)
    /// rather than as tracked entities: they are only ever inserted, and the batch reads neither back.
    /// </summary>
    private readonly List<StripeEventRecord> _newEvents = [];
    private readonly List<OutboxMessage> _newMessages = [];

    /// <summary>Payment events recorded before their order was known, oldest first.</summary>
    private readonly List<EarlierPaymentEvent> _earlierPaymentEvents = [];

    private StripeEventBatch(ApiDbContext db, ApiMetrics metrics, OutboxMetrics outboxMetrics, ILogger logger)
    {
        this.db = db;
        this.metrics = metrics;
        this.outboxMetrics = outboxMetrics;
        this.logger = logger;
    }

    /// <summary>
    /// Inside the writer's transaction, before its events are applied: the batch's orders and the earlier
    /// payment events of its payment intents, each in one query rather than one per event. The orders stay
    /// tracked, so every event of the batch reads (and changes) the transaction's current state of its order.
    /// </summary>
    internal static async Task<StripeEventBatch> LoadAsync(ApiDbContext db, IReadOnlyCollection<StripeWebhookEvent> events,
        ApiMetrics metrics, OutboxMetrics outboxMetrics, ILogger logger)
    {
        var batch = new StripeEventBatch(db, metrics, outboxMetrics, logger);
        await batch.LoadOrdersAndEarlierPaymentsAsync(events);
        return batch;
    }

    private async Task LoadOrdersAndEarlierPaymentsAsync(IReadOnlyCollection<StripeWebhookEvent> events)
    {
        var checkouts = events.OfType<CheckoutSessionEvent>().ToList();
        var sessionIds = checkouts.Select(e => e.SessionId).OfType<string>().Distinct().ToList();
        var orderIds = checkouts.Select(e => Guid.TryParse(e.MetadataOrderId, out var id) ? id : (Guid?)null).OfType<Guid>().Distinct().ToList();
        if (sessionIds.Count + orderIds.Count > 0)
        {
            await db.Orders.Where(o => sessionIds.Contains(o.CheckoutSessionId!) || orderIds.Contains(o.Id)).LoadAsync();
        }

        var paymentIntents = checkouts.Select(e => e.PaymentIntentId).OfType<string>().Distinct().ToList();
        if (paymentIntents.Count > 0)
        {
            _earlierPaymentEvents.AddRange((await db.StripeEvents
                    .Where(e => e.Outcome == WebhookOutcome.UnknownOrder && paymentIntents.Contains(e.PaymentIntentId!))
                    .Select(e => new { e.PaymentIntentId, e.Type, e.AmountRefunded, e.FullRefund, e.ReceivedAt })
                    .ToListAsync())
                .OrderBy(e => e.ReceivedAt)
                .Select(e => new EarlierPaymentEvent(e.PaymentIntentId!, e.Type, e.AmountRefunded ?? 0, e.FullRefund)));
        }
    }

    /// <summary>
    /// Inside the writer's transaction: apply and record one event the writer found not yet recorded. Its
    /// changes are saved with the whole batch's by the writer.
    /// </summary>
    internal async Task<string> ApplyAsync(StripeWebhookEvent stripeEvent, DateTimeOffset now)
    {
        // Not a request's token: once Stripe's event is being recorded, a client disconnect must not
        // leave the decision half-made.
        var cancellationToken = CancellationToken.None;
        var (outcome, orderId) = await ApplyToOrderAsync(stripeEvent, now, cancellationToken);
        var charge = stripeEvent as ChargeEvent;
        var refund = charge?.Type == ChargeEvent.ChargeRefunded ? charge : null;
        _newEvents.Add(new StripeEventRecord
        {
            EventId = stripeEvent.EventId,
            Type = stripeEvent.Type,
            ApiVersion = stripeEvent.ApiVersion,
            OrderId = orderId,
            PaymentIntentId = charge?.PaymentIntentId,
            AmountRefunded = refund?.AmountRefunded,
            FullRefund = refund?.IsFullRefund ?? false,
            Outcome = outcome,
            ReceivedAt = now,
        });
        if (outcome == WebhookOutcome.UnknownOrder && charge?.PaymentIntentId is { } paymentIntentId)
        {
            // A Checkout event later in this batch that tells us this payment intent must see it.
            _earlierPaymentEvents.Add(new EarlierPaymentEvent(paymentIntentId, stripeEvent.Type, refund?.AmountRefunded ?? 0, refund?.IsFullRefund ?? false));
        }

        return outcome;
    }

    /// <summary>
    /// Inside the writer's transaction: the batch's changes so far on disk, the tracked orders' and the rows held for
    /// multi-row inserts, before a query that must see them (a refund looks its order up by payment intent) and at the end.
    /// </summary>
    internal async Task WriteRowsAsync()
    {
        await db.SaveChangesAsync(CancellationToken.None);
        await MultiRowInsert.WriteAsync(db, _newEvents, CancellationToken.None);
        _newEvents.Clear();
        await db.EnqueueAsync(_newMessages, CancellationToken.None);
        _newMessages.Clear();
    }

    /// <summary>Built now, so that the row carries the trace of the event's request; written by <see cref="WriteRowsAsync"/>.</summary>
    private void Enqueue<T>(T message, DateTimeOffset now) where T : class =>
        _newMessages.Add(OutboxMessage.Create(message, NewId.NextGuid(), now));

    /// <summary>After the writer's commit returned: what <see cref="ApplyAsync"/> left to report.</summary>
    internal void AfterCommit()
    {
        _afterCommit.ForEach(report => report());
        _afterCommit.Clear();
    }

    private Task<(string Outcome, Guid? OrderId)> ApplyToOrderAsync(StripeWebhookEvent stripeEvent, DateTimeOffset now, CancellationToken cancellationToken) =>
        stripeEvent switch
        {
            CheckoutSessionEvent checkout => ApplyCheckoutAsync(checkout, now, cancellationToken),
            ChargeEvent charge => ApplyChargeAsync(charge, now, cancellationToken),
            _ => Task.FromResult<(string, Guid?)>((WebhookOutcome.Ignored, null)),
        };

    private async Task<(string Outcome, Guid? OrderId)> ApplyCheckoutAsync(CheckoutSessionEvent stripeEvent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (TargetStatus(stripeEvent) is not { } target)
        {
            return (WebhookOutcome.Ignored, null);
        }

        var order = await FindOrderAsync(stripeEvent, cancellationToken);
        if (order is null)
        {
            metrics.UnknownOrderEvent(stripeEvent.Type);
            LogUnknownOrder(logger, stripeEvent.EventId, stripeEvent.Type, stripeEvent.SessionId);
            return (WebhookOutcome.UnknownOrder, null);
        }

        // The session id was never stored if we crashed between Stripe's answer and our save.
        if (order.CheckoutSessionId is null && stripeEvent.SessionId is { } sessionId)
        {
            order.AttachCheckoutSession(sessionId, null, now);
        }

        var from = order.Status;
        var learnsPaymentIntent = stripeEvent.PaymentIntentId is not null && order.PaymentIntentId != stripeEvent.PaymentIntentId;
        // Only before the payment is confirmed: an order expired or failed meanwhile keeps the attention below.
        if (learnsPaymentIntent && target is OrderStatus.Paid or OrderStatus.AwaitingPayment
            && from is OrderStatus.Pending or OrderStatus.AwaitingPayment
            && EarlierFullRefund(stripeEvent.PaymentIntentId!) is { } earlierRefund)
        {
            return (await ApplyEarlierRefundAsync(stripeEvent, order, earlierRefund, now), order.Id);
        }

        var moved = target == OrderStatus.Paid
            ? order.TryMarkPaid(stripeEvent.PaymentIntentId, stripeEvent.CustomerEmail, now, stripeEvent.LiveMode)
            : order.TryMoveTo(target, now);
        if (!moved)
        {
            if (target == OrderStatus.Paid && from is OrderStatus.Expired or OrderStatus.PaymentFailed)
            {
                if (learnsPaymentIntent)
                {
                    FlagEarlierPaymentEvents(order, stripeEvent.PaymentIntentId!, now);
                }

                return FlagPaymentForUnfulfillableOrder(stripeEvent, order, now);
            }

            LogRefused(logger, stripeEvent.EventId, stripeEvent.Type, order.Id, from, target);
            return (WebhookOutcome.RefusedTransition, order.Id);
        }

        order.RememberPaymentIntent(stripeEvent.PaymentIntentId);
        if (learnsPaymentIntent)
        {
            // A partial refund that overtook this event is recorded now (its amount and the partial-refund attention),
            // so that the order agrees with Stripe however the two events were ordered.
            var refundApplied = target == OrderStatus.Paid && EarlierPartialRefund(stripeEvent.PaymentIntentId!) is { } partial
                && order.ApplyRefund(partial.AmountRefunded, fullRefund: false, now) == RefundChange.Recorded;
            FlagEarlierPaymentEvents(order, stripeEvent.PaymentIntentId!, now, refundApplied);
        }

        if (target == OrderStatus.Paid)
        {
            Enqueue(order.ToPaymentCompleted(), now);
        }

        LogApplied(logger, stripeEvent.EventId, stripeEvent.Type, order.Id, from, target);
        return (WebhookOutcome.Applied, order.Id);
    }

    /// <summary>The status a Checkout event asks for; null for events we do not act on.</summary>
    public static OrderStatus? TargetStatus(CheckoutSessionEvent stripeEvent) => stripeEvent.Type switch
    {
        "checkout.session.completed" => stripeEvent.PaymentStatus switch
        {
            "paid" or "no_payment_required" => OrderStatus.Paid,
            "unpaid" => OrderStatus.AwaitingPayment,
            _ => null,
        },
        "checkout.session.async_payment_succeeded" => OrderStatus.Paid,
        "checkout.session.async_payment_failed" => OrderStatus.PaymentFailed,
        "checkout.session.expired" => OrderStatus.Expired,
        _ => null,
    };

    /// <summary>The order as this transaction has it: tracked (loaded with the batch, or changed earlier in it) first.</summary>
    private async Task<Order?> FindOrderAsync(CheckoutSessionEvent stripeEvent, CancellationToken cancellationToken)
    {
        Guid? orderId = Guid.TryParse(stripeEvent.MetadataOrderId, out var parsed) ? parsed : null;
        if (stripeEvent.SessionId is { } sessionId
            && (TrackedOrder(o => o.CheckoutSessionId == sessionId)
                ?? await db.Orders.SingleOrDefaultAsync(o => o.CheckoutSessionId == sessionId, cancellationToken)) is { } bySession)
        {
            return bySession;
        }

        return orderId is { } id
            ? TrackedOrder(o => o.Id == id) ?? await db.Orders.SingleOrDefaultAsync(o => o.Id == id, cancellationToken)
            : null;
    }

    /// <summary>
    /// A tracked order, read as its instance has it now. <c>Local</c> would first detect the changes of every entity the
    /// context tracks (the batch's orders, events and outbox rows), once per event: quadratic in the batch, and the
    /// writer's largest allocation. Detecting changes cannot add or remove a tracked order; SaveChanges still detects them.
    /// </summary>
    private Order? TrackedOrder(Func<Order, bool> match)
    {
        var tracker = db.ChangeTracker;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            return db.Orders.Local.FirstOrDefault(match);
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = true;
        }
    }

    private (string Outcome, Guid? OrderId) FlagPaymentForUnfulfillableOrder(CheckoutSessionEvent stripeEvent, Order order, DateTimeOffset now)
    {
        if (order.FlagPaymentForUnfulfillableOrder(stripeEvent.PaymentIntentId, now))
        {
            var status = order.Status;
            _afterCommit.Add(() =>
            {
                metrics.PaidForUnfulfillable();
                LogPaidForUnfulfillable(logger, stripeEvent.EventId, stripeEvent.Type, order.Id, status, stripeEvent.PaymentIntentId);
            });
        }

        return (WebhookOutcome.Attention, order.Id);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} ({EventType}) is for Checkout session {SessionId}, which matches no order")]
    private static partial void LogUnknownOrder(ILogger logger, string eventId, string eventType, string? sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({EventType}) left order {OrderId} at {From}: it may not move to {To}")]
    private static partial void LogRefused(ILogger logger, string eventId, string eventType, Guid orderId, OrderStatus from, OrderStatus to);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stripe event {EventId} ({EventType}) moved order {OrderId} from {From} to {To}")]
    private static partial void LogApplied(ILogger logger, string eventId, string eventType, Guid orderId, OrderStatus from, OrderStatus to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stripe event {EventId} ({EventType}) took payment {PaymentIntentId} for order {OrderId}, which is {Status} and will not be fulfilled: refund or replay it")]
    private static partial void LogPaidForUnfulfillable(ILogger logger, string eventId, string eventType, Guid orderId, OrderStatus status, string? paymentIntentId);

}
