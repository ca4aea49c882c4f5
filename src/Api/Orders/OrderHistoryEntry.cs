namespace PuffinOffset.Api.Orders;

/// <summary>
/// What an operator did to an order and why, kept for good: a replay asked of Fulfillment, an attention
/// resolved with a note, a message about it moved back from a dead-letter queue or discarded, a customer's email erased
/// on request. The order itself only holds its current state.
/// </summary>
public sealed class OrderHistoryEntry
{
    public const int MaxNoteLength = 2000;

    public long Id { get; private set; }
    public Guid OrderId { get; private set; }
    public OrderHistoryKind Kind { get; private set; }
    /// <summary>The operator's note (required to resolve, optional on a replay).</summary>
    public string? Note { get; private set; }
    /// <summary>The attention item's sentence a resolve cleared, so the history shows what was dealt with.</summary>
    public string? ClearedAttention { get; private set; }
    public string RequestedBy { get; private set; } = "";
    public DateTimeOffset At { get; private set; }

    private OrderHistoryEntry() { }

    public static OrderHistoryEntry ReplayRequested(Guid orderId, string requestedBy, string? note, DateTimeOffset now) =>
        Of(orderId, OrderHistoryKind.ReplayRequested, requestedBy, note, now);

    /// <summary>A message about the order was moved back from a dead-letter queue or discarded; the note says which and why it had failed.</summary>
    public static OrderHistoryEntry DeadLetterHandled(Guid orderId, OrderHistoryKind kind, string requestedBy, string note, DateTimeOffset now) =>
        Of(orderId, kind, requestedBy, note.Length > MaxNoteLength ? note[..MaxNoteLength] : note, now);

    /// <summary>An erasure request answered: the entry keeps who asked and their note, never the email itself.</summary>
    public static OrderHistoryEntry CustomerDataErased(Guid orderId, string requestedBy, string? note, DateTimeOffset now) =>
        Of(orderId, OrderHistoryKind.CustomerDataErased, requestedBy, note, now);

    private static OrderHistoryEntry Of(Guid orderId, OrderHistoryKind kind, string requestedBy, string? note, DateTimeOffset now) => new()
    {
        OrderId = orderId,
        Kind = kind,
        Note = note,
        RequestedBy = requestedBy,
        At = now,
    };

    /// <summary>Resolves one attention item and records what it said together with the operator's note.</summary>
    public static OrderHistoryEntry ResolveAttention(OrderAttentionItem item, string requestedBy, string note, DateTimeOffset now)
    {
        item.Resolve(requestedBy, note, now);
        return new OrderHistoryEntry
        {
            OrderId = item.OrderId,
            Kind = OrderHistoryKind.AttentionResolved,
            Note = note,
            ClearedAttention = item.Text,
            RequestedBy = requestedBy,
            At = now,
        };
    }
}
