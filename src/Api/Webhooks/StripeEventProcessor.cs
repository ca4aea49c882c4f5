using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

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
/// Applies one verified event: the event record, the order's change and the outgoing message
/// (<see cref="PaymentCompleted"/>, <see cref="OrderRefunded"/>) commit in one transaction, or none of them does.
/// On SQLite BEGIN IMMEDIATE takes the write lock first, so concurrent deliveries of one event serialise and
/// the later ones see the record. On PostgreSQL several Api replicas run concurrently: the event id's primary
/// key makes a second delivery of one event fail to commit (→ duplicate), and repeatable read makes two
/// events that change one order conflict (→ the later runs again and sees the first's changes), so the state
/// machine decides on committed state in both cases.
/// </summary>
public sealed partial class StripeEventProcessor(
    ApiDbContext db,
    WebhookWriteGate writeGate,
    TimeProvider time,
    ApiMetrics metrics,
    ILogger<StripeEventProcessor> logger)
{
    /// <summary>Counted only once the transaction committed.</summary>
    private readonly List<Action> _afterCommit = [];

    public async Task<string> ProcessAsync(StripeWebhookEvent stripeEvent)
    {
        // Not the request's token: once Stripe's event is being recorded, a client disconnect must not
        // leave the decision half-made (a rollback would be safe, but gains nothing).
        var cancellationToken = CancellationToken.None;
        // Only SQLite has a single writer worth queuing for; PostgreSQL takes row locks.
        using var writer = db.Database.IsSqlite() ? await writeGate.EnterAsync() : null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Record(stripeEvent, await TryApplyAsync(stripeEvent, cancellationToken));
            }
            catch (Exception ex) when (DatabaseErrors.IsUniqueViolation(ex) || DatabaseErrors.IsSerializationFailure(ex))
            {
                // Another delivery of this event (another replica) committed first: it was handled.
                if (await IsRecordedAsync(stripeEvent.EventId))
                {
                    return Record(stripeEvent, WebhookOutcome.Duplicate);
                }

                // A concurrent event changed the same order: decide again on its committed state.
                if (!DatabaseErrors.IsSerializationFailure(ex) || attempt >= MaxConcurrentAttempts)
                {
                    throw;
                }
            }
        }
    }

    private const int MaxConcurrentAttempts = 5;

    private async Task<string> TryApplyAsync(StripeWebhookEvent stripeEvent, CancellationToken cancellationToken)
    {
        _afterCommit.Clear();
        await using var transaction = await db.BeginWriteTransactionAsync(cancellationToken);
        if (await db.StripeEvents.AnyAsync(e => e.EventId == stripeEvent.EventId, cancellationToken))
        {
            return WebhookOutcome.Duplicate;
        }

        var now = time.GetUtcNow();
        var (outcome, orderId) = await ApplyAsync(stripeEvent, now, cancellationToken);
        db.StripeEvents.Add(new StripeEventRecord
        {
            EventId = stripeEvent.EventId,
            Type = stripeEvent.Type,
            ApiVersion = stripeEvent.ApiVersion,
            OrderId = orderId,
            PaymentIntentId = (stripeEvent as ChargeEvent)?.PaymentIntentId,
            Outcome = outcome,
            ReceivedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        _afterCommit.ForEach(report => report());
        return outcome;
    }

    private Task<(string Outcome, Guid? OrderId)> ApplyAsync(StripeWebhookEvent stripeEvent, DateTimeOffset now, CancellationToken cancellationToken) =>
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
        var moved = target == OrderStatus.Paid
            ? order.TryMarkPaid(stripeEvent.PaymentIntentId, stripeEvent.CustomerEmail, now)
            : order.TryMoveTo(target, now);
        if (!moved)
        {
            if (target == OrderStatus.Paid && from is OrderStatus.Expired or OrderStatus.PaymentFailed)
            {
                if (learnsPaymentIntent)
                {
                    await FlagEarlierPaymentEventsAsync(order, stripeEvent.PaymentIntentId!, now, cancellationToken);
                }

                return FlagPaymentForUnfulfillableOrder(stripeEvent, order, now);
            }

            LogRefused(logger, stripeEvent.EventId, stripeEvent.Type, order.Id, from, target);
            return (WebhookOutcome.RefusedTransition, order.Id);
        }

        order.RememberPaymentIntent(stripeEvent.PaymentIntentId);
        if (learnsPaymentIntent)
        {
            await FlagEarlierPaymentEventsAsync(order, stripeEvent.PaymentIntentId!, now, cancellationToken);
        }

        if (target == OrderStatus.Paid)
        {
            db.Enqueue(new PaymentCompleted(order.Id, order.CheckoutSessionId ?? stripeEvent.SessionId ?? "", order.PaymentIntentId,
                order.Tons, order.PortfolioId, order.AmountTotal, Order.Currency, order.CustomerEmail, now), now);
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

    private async Task<Order?> FindOrderAsync(CheckoutSessionEvent stripeEvent, CancellationToken cancellationToken)
    {
        if (stripeEvent.SessionId is { } sessionId
            && await db.Orders.SingleOrDefaultAsync(o => o.CheckoutSessionId == sessionId, cancellationToken) is { } bySession)
        {
            return bySession;
        }

        return Guid.TryParse(stripeEvent.MetadataOrderId, out var orderId)
            ? await db.Orders.SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken)
            : null;
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

    private async Task<bool> IsRecordedAsync(string eventId)
    {
        db.ChangeTracker.Clear();
        return await db.StripeEvents.AnyAsync(e => e.EventId == eventId);
    }

    private string Record(StripeWebhookEvent stripeEvent, string outcome)
    {
        metrics.WebhookEvent(stripeEvent.Type, outcome);
        if (outcome == WebhookOutcome.Duplicate)
        {
            LogDuplicate(logger, stripeEvent.EventId, stripeEvent.Type);
        }

        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} ({EventType}) is for Checkout session {SessionId}, which matches no order")]
    private static partial void LogUnknownOrder(ILogger logger, string eventId, string eventType, string? sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({EventType}) left order {OrderId} at {From}: it may not move to {To}")]
    private static partial void LogRefused(ILogger logger, string eventId, string eventType, Guid orderId, OrderStatus from, OrderStatus to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({EventType}) moved order {OrderId} from {From} to {To}")]
    private static partial void LogApplied(ILogger logger, string eventId, string eventType, Guid orderId, OrderStatus from, OrderStatus to);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stripe event {EventId} ({EventType}) took payment {PaymentIntentId} for order {OrderId}, which is {Status} and will not be fulfilled: refund or replay it")]
    private static partial void LogPaidForUnfulfillable(ILogger logger, string eventId, string eventType, Guid orderId, OrderStatus status, string? paymentIntentId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stripe event {EventId} ({EventType}) was already handled; nothing done")]
    private static partial void LogDuplicate(ILogger logger, string eventId, string eventType);
}
