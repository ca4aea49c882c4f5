using System.Linq.Expressions;

namespace PuffinOffset.Fulfillment.Fulfillments;

/// <summary>Which fulfilments a replica may take a lease on, as one expression for every query that asks (docs/decisions/0003).</summary>
public static class FulfillmentLease
{
    /// <summary>
    /// No lease, a lease that ran out, or the replica's own. With <paramref name="anyHolderIsStale"/> (SQLite: one
    /// process per database file) a lease held by another owner is an earlier process's and may be taken too.
    /// </summary>
    public static Expression<Func<OffsetFulfillment, bool>> TakeableBy(string owner, DateTimeOffset now, bool anyHolderIsStale) =>
        f => f.LeaseOwner == null || f.LeaseExpiresAt <= now || f.LeaseOwner == owner || anyHolderIsStale;
}
