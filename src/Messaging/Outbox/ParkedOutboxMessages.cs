using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>What an operator sees of a parked row: never its payload, which may hold a customer's email.</summary>
public sealed record ParkedOutboxMessage(Guid Id, string MessageType, int Attempts, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset ParkedAt);

/// <summary>
/// The operator's side of parking: list the rows the dispatcher gave up on and put one back in line once
/// its cause is fixed (a deploy that knows the type again, a queue bound). Each service exposes it on
/// its admin endpoints.
/// </summary>
public sealed partial class ParkedOutboxMessages<TContext>(TContext db, OutboxSignal signal, ILogger<ParkedOutboxMessages<TContext>> logger)
    where TContext : MessagingDbContext
{
    public const int MaxListed = 500;

    public async Task<IReadOnlyList<ParkedOutboxMessage>> ListAsync(CancellationToken cancellationToken)
    {
        var rows = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.DispatchedAt == null && m.ParkedAt != null)
            .OrderBy(m => m.Sequence)
            .Take(MaxListed)
            .ToListAsync(cancellationToken);
        return rows.Select(m => new ParkedOutboxMessage(m.MessageId, m.MessageType, m.Attempts, m.LastError, m.CreatedAt, m.ParkedAt!.Value)).ToList();
    }

    /// <summary>False when no parked row has this id (never parked, already re-queued, or published).</summary>
    public async Task<bool> RequeueAsync(Guid id, CancellationToken cancellationToken)
    {
        var row = await db.OutboxMessages.SingleOrDefaultAsync(m => m.MessageId == id && m.DispatchedAt == null && m.ParkedAt != null, cancellationToken);
        if (row is null)
        {
            return false;
        }

        row.Requeue();
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        LogRequeued(logger, row.MessageType, row.MessageId, row.Sequence);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Parked outbox row {Sequence} ({MessageType} {MessageId}) re-queued by an operator")]
    private static partial void LogRequeued(ILogger logger, string messageType, Guid messageId, long sequence);
}
