using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Checkout;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Platform.Persistence;
using Stripe;
using Stripe.Checkout;

namespace PuffinOffset.Api.Recovery;

/// <summary>
/// Closes the window of a webhook that never arrives (endpoint down past Stripe's three days of retries,
/// a disabled endpoint, a wrong secret fixed later): asks Stripe about orders still pending or awaiting
/// payment after <c>STRIPE_RECONCILE_AFTER</c> and applies what it says through
/// <see cref="StripeEventIngest"/>, exactly as the webhook would have (same transaction, outbox and
/// event record). The synthetic event id is deterministic per session state, so asking again is a
/// duplicate, and the real webhook arriving later is refused by the state machine: it changes nothing.
/// Stripe is called outside any write transaction, so webhooks never wait for it. With several Api
/// replicas on PostgreSQL one of them runs each pass (<see cref="OneReplica"/>).
/// Each pass also reads Stripe's undelivered events of every handled type (<c>GET /v1/events?delivery_success=false</c>):
/// a lost refund, dispute or failed delayed payment cannot be seen from a session.
/// </summary>
public sealed partial class StripeReconciler(
    IServiceScopeFactory scopeFactory,
    StripeEventIngest ingest,
    TimeProvider time,
    IOptions<OrderRecoveryOptions> options,
    ApiMetrics metrics,
    ILogger<StripeReconciler> logger) : BackgroundService
{
    /// <summary>Stripe's default session lifetime (we do not set <c>expires_at</c>), plus the day the brief allows after expiry.</summary>
    public static readonly TimeSpan LastAskedAfterCreation = TimeSpan.FromHours(24) + TimeSpan.FromDays(1);

    /// <summary>A delayed payment (ACH, SEPA) settles in up to 4–14 days: its session is asked about that long.</summary>
    public static readonly TimeSpan AwaitingPaymentAskedFor = TimeSpan.FromDays(14);

    /// <summary>How far back Stripe's Events API reaches.</summary>
    public static readonly TimeSpan EventsApiWindow = TimeSpan.FromDays(30);

    /// <summary>Pages of undelivered events read per pass (100 each); a longer backlog continues in the next pass.</summary>
    public const int EventPagesPerPass = 3;

    public const int EventPageSize = 100;

    /// <summary>The advisory lock's name: one replica reconciles at a time.</summary>
    public const string JobName = "stripe-reconciliation";

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(30);

    private int _consecutiveFailures;

    /// <summary>Where the last pass stopped in a backlog longer than its pages; null to start from the newest.</summary>
    private string? _undeliveredEventsCursor;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                _consecutiveFailures++;
                LogRunFailed(logger, ex);
            }

            try
            {
                await Task.Delay(NextDelay(), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The interval; after Stripe errors, doubling per failed run up to 30 minutes.</summary>
    private TimeSpan NextDelay()
    {
        var interval = options.Value.StripeReconcileInterval;
        if (_consecutiveFailures == 0)
        {
            return interval;
        }

        var backoff = interval * Math.Pow(2, Math.Min(_consecutiveFailures, 16));
        return backoff < MaxBackoff ? backoff : MaxBackoff;
    }

    /// <summary>One pass over at most a batch of orders; returns how many Stripe's answer moved.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        // One replica at a time asks Stripe (an advisory lock on PostgreSQL, held by this scope's connection
        // while the pass runs; the pass itself writes through other scopes and the event writer).
        await using var lockScope = scopeFactory.CreateAsyncScope();
        var lockDb = lockScope.ServiceProvider.GetRequiredService<ApiDbContext>();
        var moved = 0;
        await lockDb.RunExclusiveAsync(JobName, async ct => moved = await ReconcileAsync(ct), cancellationToken);
        return moved;
    }

    private async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var candidates = await CandidatesAsync(now, cancellationToken);
        await using var stripeScope = scopeFactory.CreateAsyncScope();
        var stripe = stripeScope.ServiceProvider.GetRequiredService<StripeCheckout>();
        var moved = 0;
        var checkedOrders = new List<Guid>(candidates.Count);
        try
        {
            foreach (var (orderId, sessionId, status) in candidates)
            {
                Session session;
                try
                {
                    session = await stripe.GetSessionAsync(sessionId, cancellationToken);
                }
                catch (StripeException ex) when (ex.HttpStatusCode == HttpStatusCode.NotFound)
                {
                    // Another account's or a deleted session: asking again would not help; the order keeps its state.
                    LogSessionMissing(logger, orderId, sessionId);
                    checkedOrders.Add(orderId);
                    continue;
                }

                checkedOrders.Add(orderId);
                if (SyntheticEvent(session, status) is { Event: var stripeEvent, Outcome: var outcome })
                {
                    if (await ingest.ProcessAsync(stripeEvent, fromWebhook: false) == WebhookOutcome.Applied)
                    {
                        moved++;
                        metrics.Reconciled(outcome);
                        LogReconciled(logger, orderId, sessionId, session.Status, session.PaymentStatus, outcome);
                    }
                }
            }

        }
        finally
        {
            await RecordCheckedAsync(checkedOrders, now);
        }

        await ReconcileUndeliveredEventsAsync(stripe, now, cancellationToken);
        _consecutiveFailures = 0;
        return moved;
    }

    /// <summary>
    /// Events of every handled type whose webhook Stripe never delivered (a lost refund, dispute or failed payment
    /// is invisible from the session), applied through the webhook's own ingest under their own event ids: an
    /// event already recorded is a duplicate, and a real delivery arriving later is one too.
    /// </summary>
    private async Task ReconcileUndeliveredEventsAsync(StripeCheckout stripe, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cursor = _undeliveredEventsCursor;
        for (var page = 0; page < EventPagesPerPass; page++)
        {
            var list = await stripe.ListUndeliveredEventsAsync(StripeWebhookEvent.HandledTypes, now - EventsApiWindow, cursor,
                EventPageSize, cancellationToken);
            // Applied as Stripe lists them, newest first: a refund is then recorded before the payment it undoes,
            // so the payment finds it and buys nothing (the state machine makes every other order harmless).
            foreach (var stripeEvent in RawEvents(list))
            {
                var outcome = await ingest.ProcessAsync(stripeEvent, fromWebhook: false);
                if (outcome != WebhookOutcome.Duplicate)
                {
                    metrics.EventReconciled(stripeEvent.Type);
                    LogEventReconciled(logger, stripeEvent.EventId, stripeEvent.Type, outcome);
                }
            }

            cursor = list.HasMore && list.Data is [.., var oldest] ? oldest.Id : null;
            if (cursor is null)
            {
                break;
            }
        }

        _undeliveredEventsCursor = cursor;
    }

    /// <summary>
    /// Each listed event read from the JSON Stripe sent, by the parser the webhook uses, so an event found here is
    /// exactly what its delivery would have been (Stripe.net's model is not converted field by field).
    /// </summary>
    private static List<StripeWebhookEvent> RawEvents(StripeList<Event> list)
    {
        var events = new List<StripeWebhookEvent>();
        if (list.StripeResponse?.Content is not { } content)
        {
            return events;
        }

        using var document = JsonDocument.Parse(content);
        if (document.RootElement.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            events.AddRange(data.EnumerateArray().Select(e => StripeWebhookEvent.TryRead(e.GetRawText())).OfType<StripeWebhookEvent>());
        }

        return events;
    }

    /// <summary>Old enough to have had its webhook, young enough that Stripe still has a live or just-expired session; least recently asked first.</summary>
    private async Task<List<(Guid OrderId, string SessionId, OrderStatus Status)>> CandidatesAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        var createdBefore = now - options.Value.StripeReconcileAfter;
        var pendingCreatedAfter = now - LastAskedAfterCreation;
        var awaitingCreatedAfter = now - AwaitingPaymentAskedFor;
        var rows = await db.Orders.AsNoTracking()
            .Where(o => ((o.Status == OrderStatus.Pending && o.CreatedAt > pendingCreatedAfter)
                    || (o.Status == OrderStatus.AwaitingPayment && o.CreatedAt > awaitingCreatedAfter))
                && o.CheckoutSessionId != null && o.CreatedAt <= createdBefore)
            .OrderBy(o => o.StripeCheckedAt).ThenBy(o => o.CreatedAt)
            .Take(options.Value.StripeReconcileBatchSize)
            .Select(o => new { o.Id, o.CheckoutSessionId, o.Status })
            .ToListAsync(cancellationToken);
        return rows.Select(r => (r.Id, r.CheckoutSessionId!, r.Status)).ToList();
    }

    /// <summary>
    /// The event Stripe would have sent for the session's state, with an id derived from that state, and
    /// the outcome to count; null while the session is open or nothing new happened.
    /// </summary>
    public static (CheckoutSessionEvent Event, string Outcome)? SyntheticEvent(Session session, OrderStatus orderStatus)
    {
        var (type, outcome) = (session.Status, session.PaymentStatus) switch
        {
            ("complete", "paid" or "no_payment_required") when orderStatus == OrderStatus.AwaitingPayment =>
                ("checkout.session.async_payment_succeeded", "paid"),
            ("complete", "paid" or "no_payment_required") => ("checkout.session.completed", "paid"),
            ("complete", "unpaid") when orderStatus == OrderStatus.Pending => ("checkout.session.completed", "awaiting_payment"),
            ("expired", _) => ("checkout.session.expired", "expired"),
            _ => ((string?)null, (string?)null),
        };
        if (type is null || outcome is null)
        {
            return null;
        }

        var stripeEvent = new CheckoutSessionEvent($"reconciled:{session.Id}:{type}", type, StripeConfiguration.ApiVersion,
            session.Id, session.PaymentStatus, session.Metadata?.GetValueOrDefault("orderId"), session.PaymentIntentId,
            session.CustomerDetails?.Email, session.Livemode);
        return (stripeEvent, outcome);
    }

    private async Task RecordCheckedAsync(List<Guid> orderIds, DateTimeOffset now)
    {
        if (orderIds.Count == 0)
        {
            return;
        }

        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        foreach (var order in await db.Orders.Where(o => orderIds.Contains(o.Id)).ToListAsync())
        {
            order.RecordStripeChecked(now);
        }

        await db.SaveChangesAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId}: Stripe says session {SessionId} is {SessionStatus}/{PaymentStatus}, but no webhook said so; applied as {Outcome}")]
    private static partial void LogReconciled(ILogger logger, Guid orderId, string sessionId, string sessionStatus, string paymentStatus, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stripe event {EventId} ({EventType}) was never delivered as a webhook; found through the Events API and recorded as {Outcome}")]
    private static partial void LogEventReconciled(ILogger logger, string eventId, string eventType, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order {OrderId}: Stripe does not know its session {SessionId}")]
    private static partial void LogSessionMissing(ILogger logger, Guid orderId, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling orders with Stripe failed; backing off before the next run")]
    private static partial void LogRunFailed(ILogger logger, Exception exception);
}
