using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// After a payment event that found no order, or a Checkout event that named a payment intent, has committed: looks with
/// a fresh read for that payment intent's unclaimed <c>unknown_order</c> events beside an order that has it now, and
/// applies them (<see cref="StripeEventBatch"/>, "Missed"). Each side looks after its own commit, so whichever of two
/// concurrent replicas commits last sees both; a redelivery (Stripe retries until answered) looks again after a crash.
/// Nearly always one indexed read that finds nothing.
/// </summary>
public sealed class MissedPaymentEvents(
    IServiceScopeFactory scopes,
    TimeProvider time,
    ApiMetrics metrics,
    OutboxMetrics outboxMetrics,
    ILogger<StripeEventBatch> batchLogger)
{
    /// <summary>How often a catch-up that met a concurrent change (the other replica's catch-up) is run again.</summary>
    private const int MaxAttempts = 5;

    /// <summary>Whether <paramref name="stripeEvent"/>, handled with <paramref name="outcome"/>, can leave a payment event unclaimed beside its order.</summary>
    public static string? PaymentIntentToCheck(StripeWebhookEvent stripeEvent, string outcome) => stripeEvent switch
    {
        ChargeEvent charge when outcome is WebhookOutcome.UnknownOrder or WebhookOutcome.Duplicate => charge.PaymentIntentId,
        CheckoutSessionEvent checkout when outcome is not WebhookOutcome.Ignored and not WebhookOutcome.UnknownOrder => checkout.PaymentIntentId,
        _ => null,
    };

    public async Task CatchUpAsync(string paymentIntentId)
    {
        if (!await AnyMissedAsync(paymentIntentId))
        {
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await ApplyAsync(paymentIntentId);
                return;
            }
            catch (Exception ex) when (DatabaseErrors.IsSerializationFailure(ex) && attempt < MaxAttempts)
            {
                // The other replica applied (or is applying) the same events; the next attempt reads what it committed.
            }
        }
    }

    private async Task<bool> AnyMissedAsync(string paymentIntentId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        return await db.StripeEvents.AnyAsync(e => e.Outcome == WebhookOutcome.UnknownOrder && e.OrderId == null
            && e.PaymentIntentId == paymentIntentId && db.Orders.Any(o => o.PaymentIntentId == paymentIntentId));
    }

    private async Task ApplyAsync(string paymentIntentId)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ApiDbContext>();
        await using var transaction = await db.BeginWriteTransactionAsync(CancellationToken.None);
        var batch = await StripeEventBatch.LoadAsync(db, [], metrics, outboxMetrics, batchLogger);
        await batch.ApplyMissedPaymentEventsAsync(paymentIntentId, time.GetUtcNow());
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        batch.AfterCommit();
    }
}
