using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Security;
using PuffinOffset.Messaging.Outbox;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// <c>/api/admin/*</c>, mapped only when an admin key is configured (bearer token; <see cref="AdminKeys"/>): find the orders that
/// need a hand, replay failed fulfilments, resolve attentions with a note, list and requeue parked outbox rows, move back or
/// discard dead letters. The console at <c>/admin</c> is
/// a page over these endpoints.
/// </summary>
public static class AdminApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    /// <param name="api">The <c>/api</c> route group.</param>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder api, IConfiguration configuration)
    {
        if (api.MapAdminGroup("/admin", configuration) is not { } admin)
        {
            return api;
        }

        admin.MapGet("/orders", ListOrdersAsync).WithName("AdminListOrders");
        admin.MapGet("/orders/{orderId:guid}", GetOrderAsync).WithName("AdminGetOrder")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/orders/{orderId:guid}/replay", FulfillmentReplay.ReplayOneAsync).WithName("AdminReplayOrder")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/orders/replay", FulfillmentReplay.ReplayAllAsync).WithName("AdminReplayOrders");
        admin.MapPost("/orders/{orderId:guid}/resolve", AttentionResolve.ResolveAsync).WithName("AdminResolveOrder")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapGet("/overview", AdminOverviewQuery.GetAsync).WithName("AdminOverview");
        admin.MapPost("/customers/erase", CustomerDataErasure.EraseAsync).WithName("AdminEraseCustomerData");
        admin.MapGet("/orders/export", OrderExport.Export).WithName("AdminExportOrders")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv");
        admin.MapGet("/outbox/parked", ListParkedAsync).WithName("AdminListParkedOutboxMessages");
        admin.MapPost("/outbox/parked/{id:guid}/requeue", RequeueParkedAsync).WithName("AdminRequeueParkedOutboxMessage");
        admin.MapGet("/dead-letters", DeadLetterActions.ListAsync).WithName("AdminListDeadLetters")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        admin.MapPost("/dead-letters/{queue}/move-back", DeadLetterActions.MoveBackAsync).WithName("AdminMoveBackDeadLetters")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        admin.MapPost("/dead-letters/{queue}/discard", DeadLetterActions.DiscardAsync).WithName("AdminDiscardDeadLetters")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        admin.ProducesProblem(StatusCodes.Status401Unauthorized);
        return api;
    }

    /// <summary>Orders newest first, filtered by status and/or attention, one page at a time.</summary>
    public static async Task<Results<Ok<AdminOrderPage>, ValidationProblem>> ListOrdersAsync(
        ApiDbContext db, CancellationToken cancellationToken,
        string? status = null, bool? attention = null, int page = 1, int pageSize = DefaultPageSize)
    {
        var errors = new Dictionary<string, string[]>();
        if (page < 1)
        {
            errors["page"] = ["page starts at 1."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        OrderStatus wanted = default;
        if (status is not null && !OrderStatusNames.TryParse(status, out wanted))
        {
            errors["status"] = ["status must be one of the order statuses, e.g. fulfillment_failed."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The filters are not valid; see errors.", title: "Invalid filters");
        }

        var query = db.Orders.AsNoTracking();
        if (status is not null)
        {
            query = query.Where(o => o.Status == wanted);
        }

        if (attention is { } needsAttention)
        {
            query = query.Where(needsAttention ? OrderFilters.NeedsAttention : OrderFilters.NeedsNoAttention);
        }

        var total = await query.CountAsync(cancellationToken);
        // CreatedAt is stored as sortable UTC text, so SQLite can order by it; the id breaks ties.
        var orders = await query.OrderByDescending(o => o.CreatedAt).ThenByDescending(o => o.Id)
            .Skip((page - 1) * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new AdminOrderPage(orders.Select(AdminOrderView.From).ToList(), page, pageSize, total));
    }

    /// <summary>Outbox rows the dispatcher gave up on (oldest first), e.g. a message type this version does not know.</summary>
    public static async Task<Ok<IReadOnlyList<ParkedOutboxMessage>>> ListParkedAsync(
        ParkedOutboxMessages<ApiDbContext> parked, CancellationToken cancellationToken) =>
        TypedResults.Ok(await parked.ListAsync(cancellationToken));

    /// <summary>Puts a parked row back in line with a fresh attempt budget, once its cause is fixed.</summary>
    public static async Task<Results<NoContent, NotFound>> RequeueParkedAsync(
        Guid id, ParkedOutboxMessages<ApiDbContext> parked, CancellationToken cancellationToken) =>
        await parked.RequeueAsync(id, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    public static async Task<Results<Ok<AdminOrderDetail>, ProblemHttpResult>> GetOrderAsync(
        Guid orderId, ApiDbContext db, CancellationToken cancellationToken)
    {
        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken);
        return order is null ? OrderNotFound() : TypedResults.Ok(await DetailAsync(db, order, cancellationToken));
    }

    internal static async Task<AdminOrderDetail> DetailAsync(ApiDbContext db, Order order, CancellationToken cancellationToken)
    {
        var history = await db.OrderHistory.AsNoTracking().Where(e => e.OrderId == order.Id)
            .OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync(cancellationToken);
        var resolved = await db.Set<OrderAttentionItem>().IgnoreQueryFilters().AsNoTracking()
            .Where(i => i.OrderId == order.Id && i.ResolvedAt != null).ToListAsync(cancellationToken);
        return new AdminOrderDetail(AdminOrderView.From(order), AttentionItemView.Oldest(resolved), history.Select(OrderHistoryView.From).ToList());
    }

    internal static ProblemHttpResult OrderNotFound() =>
        TypedResults.Problem("No order has this id.", statusCode: StatusCodes.Status404NotFound, title: "Order not found");

    /// <summary>Who asked: the name of the operator whose key authenticated the request, never text from the request.</summary>
    internal static string Operator(ClaimsPrincipal user) => user.OperatorName();
}
