using Microsoft.Extensions.Options;
using PuffinOffset.Fulfillment.Configuration;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Observability;

namespace PuffinOffset.Fulfillment.Refunds;

/// <summary>
/// Before a delayed purchase, the Api is asked whether the order was refunded: a full refund it accepted may still
/// wait in its outbox (broker down, dispatcher in backoff, the replica that accepted it dead), and only the Api knows
/// it. A purchase beginning within <see cref="FulfillmentOptions.RefundCheckAfter"/> of its payment is not asked
/// about: any refund is younger still. One question for the whole batch about to begin; the answers are applied in
/// the transaction that begins the attempts (<see cref="AttemptStart"/>). docs/fulfillment.md, "The refund check".
/// </summary>
public sealed partial class RefundCheck(
    IServiceProvider services,
    IOptions<ApiRefundCheckOptions> apiOptions,
    IOptions<FulfillmentOptions> options,
    FulfillmentTelemetry telemetry,
    ILogger<RefundCheck> logger)
{
    /// <summary>Nothing asked: every purchase begins as it would without the check.</summary>
    public static readonly IReadOnlyDictionary<Guid, RefundVerdict> NoneAsked = new Dictionary<Guid, RefundVerdict>();

    /// <summary>
    /// The Api's verdict on each of <paramref name="aboutToBegin"/> that needs one (keyed by order id); an order not in
    /// the answer needs no check. With no <c>API_INTERNAL_URLS</c> nothing is asked.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, RefundVerdict>> AskAsync(IEnumerable<OffsetFulfillment> aboutToBegin, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var ids = aboutToBegin.Where(f => MustAsk(f, now)).Select(f => f.OrderId).Distinct().ToList();
        return ids.Count == 0 ? NoneAsked : await AskAboutAsync(ids, now, cancellationToken);
    }

    /// <summary>
    /// Right before the POST of an attempt begun earlier, whose last "not refunded" (or payment) is <paramref name="age"/>
    /// old (<see cref="MustAsk"/>): the Api asked again about this one order.
    /// </summary>
    public async Task<RefundVerdict> AskBeforePostAsync(OffsetFulfillment attempting, TimeSpan age, DateTimeOffset now, CancellationToken cancellationToken)
    {
        LogAskingBeforePost(attempting.OrderId, age);
        var verdicts = await AskAboutAsync([attempting.OrderId], now, cancellationToken);
        return verdicts.TryGetValue(attempting.OrderId, out var verdict) ? verdict : RefundVerdict.Unavailable;
    }

    private async Task<IReadOnlyDictionary<Guid, RefundVerdict>> AskAboutAsync(List<Guid> ids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await services.GetRequiredService<ApiRefundClient>().AskAsync(ids, cancellationToken) is not { } reply)
        {
            LogUnavailable(ids.Count);
            return ids.ToDictionary(id => id, _ => RefundVerdict.Unavailable);
        }

        var (answer, askedAt) = reply;
        var verdicts = new Dictionary<Guid, RefundVerdict>(ids.Count);
        foreach (var order in answer.Orders.Where(o => ids.Contains(o.OrderId)))
        {
            if (!order.Known)
            {
                // Our payments all come from the Api: an order it does not know means the wrong Api is asked.
                LogUnknownOrder(order.OrderId);
            }

            verdicts[order.OrderId] = order switch
            {
                { Known: false } => RefundVerdict.Unavailable,
                { Refunded: true } => new RefundVerdict(RefundCheckOutcome.Refunded, order.RefundedAt ?? now, askedAt),
                _ => RefundVerdict.NotRefunded with { AsOf = askedAt },
            };
        }

        return verdicts;
    }

    /// <summary>
    /// Whether a purchase of <paramref name="fulfillment"/> beginning (or POSTed) at <paramref name="now"/> needs the Api's
    /// verdict first: its payment, or the Api's last answer about it, is <see cref="FulfillmentOptions.RefundCheckAfter"/> old.
    /// </summary>
    public bool MustAsk(OffsetFulfillment fulfillment, DateTimeOffset now, DateTimeOffset? answeredAsOf = null) =>
        apiOptions.Value.Enabled && fulfillment.NeedsRefundCheck(now, options.Value.RefundCheckAfter, answeredAsOf);

    /// <summary>Counted once the transaction that acted on the verdict has committed.</summary>
    public void Count(RefundVerdict verdict) => telemetry.RefundChecked(verdict.Outcome);

    /// <summary>Logs what a committed verdict did to one fulfilment.</summary>
    public void LogApplied(Guid orderId, RefundVerdict verdict, OffsetFulfillment fulfillment)
    {
        Count(verdict);
        switch (verdict.Outcome)
        {
            case RefundCheckOutcome.Refunded:
                LogRefundedAtApi(orderId);
                break;
            case RefundCheckOutcome.Unavailable:
                LogPostponed(orderId, fulfillment.State, fulfillment.NextAttemptAt);
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId}'s POST would leave {Age} after the Api last confirmed it is not refunded (or after its payment): asking the Api again first")]
    private partial void LogAskingBeforePost(Guid orderId, TimeSpan age);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No Api instance could be asked whether {Count} order(s) were refunded: their purchases wait and are tried again with the retry backoff (check API_INTERNAL_URLS, API_SERVICE_KEY and the Api)")]
    private partial void LogUnavailable(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The Api does not know order {OrderId}: its purchase waits (is API_INTERNAL_URLS this system's Api?)")]
    private partial void LogUnknownOrder(Guid orderId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Order {OrderId} is refunded in full according to the Api (its refund has not arrived as a message yet): its purchase is cancelled")]
    private partial void LogRefundedAtApi(Guid orderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purchase for order {OrderId} not begun: the Api could not confirm it is not refunded; now {State}, next try at {NextAttemptAt}")]
    private partial void LogPostponed(Guid orderId, FulfillmentState state, DateTimeOffset nextAttemptAt);
}
