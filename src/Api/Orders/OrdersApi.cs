using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Persistence;

namespace PuffinOffset.Api.Orders;

public static class OrdersApi
{
    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder api)
    {
        api.MapGet("/orders/{orderId:guid}", GetByIdAsync).WithName("GetOrder").WithTags("Orders");
        api.MapGet("/checkout/session/{sessionId}", GetBySessionAsync).WithName("GetOrderBySession").WithTags("Checkout");
        return api;
    }

    public static async Task<Results<Ok<OrderView>, ProblemHttpResult>> GetByIdAsync(Guid orderId, ApiDbContext db, CancellationToken cancellationToken)
    {
        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken);
        return order is null ? NotFound("No order has this id.") : TypedResults.Ok(OrderView.From(order));
    }

    public static async Task<Results<Ok<OrderView>, ProblemHttpResult>> GetBySessionAsync(string sessionId, ApiDbContext db, CancellationToken cancellationToken)
    {
        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.CheckoutSessionId == sessionId, cancellationToken);
        return order is null ? NotFound("No order belongs to this Checkout session.") : TypedResults.Ok(OrderView.From(order));
    }

    private static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: "Order not found");
}
