using System.Linq.Expressions;

namespace PuffinOffset.Fulfillment.Purchases;

/// <summary>
/// The lease rule, once, for every query that asks and for the entity (docs/decisions/0003): a lease runs out at
/// <see cref="OffsetFulfillment.LeaseExpiresAt"/>; until then it is its owner's alone, from then on anyone's.
/// </summary>
public static class FulfillmentLease
{
    /// <summary>Held by <c>owner</c> past <c>until</c>: the owner's, and it runs out after that moment.</summary>
    private static readonly Expression<Func<OffsetFulfillment, string, DateTimeOffset, bool>> Held =
        (f, owner, until) => f.LeaseOwner == owner && f.LeaseExpiresAt > until;

    private static readonly Func<OffsetFulfillment, string, DateTimeOffset, bool> HeldInMemory = Held.Compile();

    /// <summary>
    /// No lease, a lease that ran out, or the replica's own. With <paramref name="anyHolderIsStale"/> (SQLite: one
    /// process per database file) a lease held by another owner is an earlier process's and may be taken too.
    /// </summary>
    public static Expression<Func<OffsetFulfillment, bool>> TakeableBy(string owner, DateTimeOffset now, bool anyHolderIsStale) =>
        f => f.LeaseOwner == null || f.LeaseExpiresAt <= now || f.LeaseOwner == owner || anyHolderIsStale;

    /// <summary>
    /// The fulfilments <paramref name="owner"/> holds past <paramref name="until"/> (now, or the end of a Wren call
    /// about to start), as a query predicate; <see cref="IsHeldBy"/> is the same rule on a loaded row.
    /// </summary>
    public static Expression<Func<OffsetFulfillment, bool>> HeldBy(string owner, DateTimeOffset until)
    {
        // Bound through an object rather than as constants, so that the database sees parameters, not literals.
        var lease = Expression.Constant(new LeaseQuery(owner, until));
        var body = new Bind(new()
        {
            [Held.Parameters[1]] = Expression.Property(lease, nameof(LeaseQuery.Owner)),
            [Held.Parameters[2]] = Expression.Property(lease, nameof(LeaseQuery.Until)),
        }).Visit(Held.Body);
        return Expression.Lambda<Func<OffsetFulfillment, bool>>(body, Held.Parameters[0]);
    }

    public static bool IsHeldBy(OffsetFulfillment fulfillment, string owner, DateTimeOffset until) => HeldInMemory(fulfillment, owner, until);

    /// <summary>Every lease <paramref name="owner"/> holds, run out or not: what a graceful stop hands back.</summary>
    public static Expression<Func<OffsetFulfillment, bool>> OwnedBy(string owner) => f => f.LeaseOwner == owner;

    private sealed record LeaseQuery(string Owner, DateTimeOffset Until);

    private sealed class Bind(Dictionary<ParameterExpression, Expression> values) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => values.GetValueOrDefault(node) ?? node;
    }
}
