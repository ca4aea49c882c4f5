using PuffinOffset.Api.Orders;

namespace PuffinOffset.Api.Admin;

/// <summary>One page of orders, newest first; <c>total</c> counts every order matching the filters.</summary>
public sealed record AdminOrderPage(IReadOnlyList<AdminOrderView> Items, int Page, int PageSize, int Total);

/// <summary>
/// An order as an operator sees it: the admin order view (with its open attention items), the items already
/// resolved (by whom, with what note) and what operators did to it, each oldest first.
/// </summary>
public sealed record AdminOrderDetail(AdminOrderView Order, IReadOnlyList<AttentionItemView> ResolvedAttention, IReadOnlyList<OrderHistoryView> History);

public sealed record OrderHistoryView(OrderHistoryKind Kind, string? Note, string? ClearedAttention, string RequestedBy, DateTimeOffset At)
{
    public static OrderHistoryView From(OrderHistoryEntry entry) =>
        new(entry.Kind, entry.Note, entry.ClearedAttention, entry.RequestedBy, entry.At);
}

// Who acted comes from the admin key (AdminKeys), never from the body: a "requestedBy" field that older
// clients still send is ignored, as is any unknown field.

/// <summary>Body of a replay of one order; the note is optional.</summary>
public sealed record ReplayRequest(string? Note);

/// <summary>Body of a replay of every order in <c>status</c> (only <c>fulfillment_failed</c> may be replayed).</summary>
public sealed record ReplayAllRequest(string? Status, string? Note);

/// <summary>How many replays were asked of Fulfillment, and for which orders.</summary>
public sealed record ReplayAllResult(int Requested, IReadOnlyList<Guid> OrderIds);

/// <summary>
/// Body of a resolve: the ids of the attention items the operator saw and dealt with, and a note saying what was
/// done (both required). Items raised since stay open.
/// </summary>
public sealed record ResolveRequest(string? Note, IReadOnlyList<long>? AttentionIds);

/// <summary>The backlog figures the console shows at the top.</summary>
public sealed record AdminOverview(
    IReadOnlyDictionary<string, int> OrdersByStatus,
    int NeedingAttention,
    OutboxBacklog Outbox,
    IReadOnlyList<OrderView> PaidWaitingLongest,
    DateTimeOffset At);

/// <summary>Messages committed but not yet published, and how long the oldest has waited.</summary>
public sealed record OutboxBacklog(int Pending, DateTimeOffset? OldestPendingAt, double? OldestPendingAgeSeconds);

/// <summary>Body of a dead-letter move or discard, optional (the note goes into each order's history; who acted comes from the key).</summary>
public sealed record DeadLetterActionRequest(string? Note);

/// <summary>
/// A dead-letter queue emptied: <c>found</c> messages were in it when the action started, <c>handled</c> were moved
/// back or discarded, and the orders they were about.
/// </summary>
public sealed record DeadLetterActionResult(string Queue, string Action, long Found, int Handled, IReadOnlyList<Guid> OrderIds);
