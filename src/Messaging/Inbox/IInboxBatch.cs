using MassTransit;
using PuffinOffset.Messaging.Persistence;

namespace PuffinOffset.Messaging.Inbox;

/// <summary>
/// What the deliveries of one consumer share within one inbox batch: created once per batch, loaded once with every
/// first-time delivery of that consumer in it (one query for the batch rather than one per delivery), then handed to
/// each delivery's work in arrival order. Loaded inside the batch's write transaction, before any work runs.
/// </summary>
public interface IInboxBatch<in TContext>
    where TContext : MessagingDbContext
{
    Task LoadAsync(TContext db, IReadOnlyList<ConsumeContext> deliveries);
}
