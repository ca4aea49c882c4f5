using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>
/// Takes back an order's message that is committed but not yet published, in the caller's transaction: the
/// business change that makes the message wrong (a payment refunded in full before Fulfillment heard of it) and
/// the withdrawal commit together. A row the broker already has is left alone — the receiver then learns the rest
/// from the messages that follow (the refund) — so the withdrawal never races the dispatcher: see
/// <see cref="OutboxClaims"/> for SQLite; on PostgreSQL the delete waits for the dispatcher's row lock and then
/// finds the row dispatched (or, under repeatable read, the writer retries and does).
/// The row is deleted, not kept with a mark: nothing about it is left to publish, re-queue or alert on, and the
/// caller records why on its own entity.
/// </summary>
public static class OutboxWithdrawal
{
    /// <returns>How many unpublished rows of <typeparamref name="TMessage"/> for the order were withdrawn.</returns>
    public static async Task<int> WithdrawUnpublishedAsync<TMessage>(this MessagingDbContext db, Guid orderId, CancellationToken cancellationToken)
        where TMessage : class
    {
        var messageType = MessageTypes.NameOf(typeof(TMessage));
        // Contracts carry their order as "orderId" (web JSON names); a Guid's text cannot match anything else.
        var orderField = $"\"orderId\":\"{orderId}\"";

        // Written in this transaction but not saved yet: never reaches the table.
        var unsaved = db.ChangeTracker.Entries<OutboxMessage>()
            .Where(e => e.State == EntityState.Added && e.Entity.MessageType == messageType && e.Entity.Payload.Contains(orderField))
            .ToList();
        unsaved.ForEach(e => e.State = EntityState.Detached);

        var candidates = await db.OutboxMessages
            .Where(m => m.MessageType == messageType && m.DispatchedAt == null && m.Payload.Contains(orderField))
            .Select(m => m.Sequence)
            .ToListAsync(cancellationToken);
        if (candidates.Count == 0)
        {
            return unsaved.Count;
        }

        var claims = db.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>()?.Interceptors?.OfType<OutboxClaims>().FirstOrDefault();
        var sequences = claims is null ? candidates : await claims.ReserveAsync(candidates, cancellationToken);
        if (claims is not null)
        {
            db.HoldWithdrawalReservations(claims, sequences);
        }

        try
        {
            return unsaved.Count + await db.OutboxMessages
                .Where(m => sequences.Contains(m.Sequence) && m.DispatchedAt == null)
                .ExecuteDeleteAsync(cancellationToken);
        }
        finally
        {
            // Without a transaction the delete has already committed (or failed).
            if (db.Database.CurrentTransaction is null)
            {
                db.EndWithdrawalReservations();
            }
        }
    }
}
