using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Security;
using PuffinOffset.Messaging.InternalApi;

namespace PuffinOffset.Api.Internal;

/// <summary>
/// <c>/api/internal/*</c>, for our other services only (service keys, <c>SERVICE_API_KEYS_FILE</c>; an admin key does
/// not open it), on the management listener, mapped only when a service key is configured. The Api is the record of
/// accepted refunds: Fulfillment asks it before a delayed purchase (<see cref="RefundStatusRequest"/>).
/// </summary>
public static class RefundStatusApi
{
    /// <param name="api">The <c>/api</c> route group.</param>
    public static IEndpointRouteBuilder MapInternalApi(this IEndpointRouteBuilder api, IConfiguration configuration)
    {
        if (api.MapServiceGroup("/internal", configuration) is not { } internalApi)
        {
            return api;
        }

        internalApi.MapPost("/refund-status", GetAsync).WithName("InternalRefundStatus")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        return api;
    }

    /// <summary>Read-only, one query for the whole batch.</summary>
    public static async Task<Results<Ok<RefundStatusResponse>, ValidationProblem>> GetAsync(
        RefundStatusRequest request, ApiDbContext db, CancellationToken cancellationToken)
    {
        if (request.OrderIds is not { Count: > 0 and <= RefundStatusRequest.MaxOrderIds } ids || ids.Contains(Guid.Empty))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["orderIds"] = [$"Give between 1 and {RefundStatusRequest.MaxOrderIds} order ids, none of them empty."],
            });
        }

        var distinct = ids.Distinct().ToList();
        var found = await db.Orders.AsNoTracking()
            .Where(o => distinct.Contains(o.Id))
            .Select(o => new { o.Id, o.Status, o.AmountRefunded, o.RefundedAt })
            .ToDictionaryAsync(o => o.Id, cancellationToken);
        return TypedResults.Ok(new RefundStatusResponse([.. ids.Select(id => found.TryGetValue(id, out var order)
            ? new OrderRefundStatus(id, Known: true, order.Status == OrderStatus.Refunded, OrderStatusNames.Of(order.Status), order.AmountRefunded, order.RefundedAt)
            : new OrderRefundStatus(id, Known: false, Refunded: false, Status: null, AmountRefunded: 0, RefundedAt: null))]));
    }
}
