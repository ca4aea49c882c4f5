using System.Linq.Expressions;

namespace PuffinOffset.Api.Orders;

/// <summary>Conditions on orders that several queries share, written once so that they cannot drift apart.</summary>
public static class OrderFilters
{
    /// <summary>At least one open attention item: the admin filter, the overview and the <c>puffin.orders.attention</c> gauge.</summary>
    public static readonly Expression<Func<Order, bool>> NeedsAttention = o => o.Attention.Any(i => i.ResolvedAt == null);

    public static readonly Expression<Func<Order, bool>> NeedsNoAttention = o => !o.Attention.Any(i => i.ResolvedAt == null);
}
