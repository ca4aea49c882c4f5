using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Outbox;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// <c>/api/admin/*</c>, mapped only when <c>ADMIN_API_KEY</c> is set: what an operator needs to find the
/// orders that need a hand, e.g. <c>GET /api/admin/orders?status=fulfillment_failed</c>, and the parked
/// outbox rows (<c>GET /api/admin/outbox/parked</c>, <c>POST /api/admin/outbox/parked/{id}/requeue</c>). Replaying a failed
/// fulfilment is Fulfillment's <c>POST /admin/fulfillments/{orderId}/replay</c>.
/// </summary>
public static class AdminApi
{
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapAdminApi(this WebApplication app)
    {
        if (app.MapAdminGroup("/api/admin", app.Configuration) is { } admin)
        {
            admin.MapGet("/orders", ListOrdersAsync).WithName("AdminListOrders");
            admin.MapGet("/outbox/parked", ListParkedAsync).WithName("AdminListParkedOutboxMessages");
            admin.MapPost("/outbox/parked/{id:guid}/requeue", RequeueParkedAsync).WithName("AdminRequeueParkedOutboxMessage");
        }

        return app;
    }

    /// <summary>Orders, newest first, optionally only those in one status.</summary>
    public static async Task<Results<Ok<IReadOnlyList<OrderView>>, ValidationProblem>> ListOrdersAsync(
        ApiDbContext db, CancellationToken cancellationToken, string? status = null, int limit = 100)
    {
        var errors = new Dictionary<string, string[]>();
        if (limit is < 1 or > MaxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxLimit}."];
        }

        OrderStatus? wanted = null;
        if (status is not null)
        {
            wanted = ParseStatus(status);
            if (wanted is null)
            {
                errors["status"] = ["status must be one of the order statuses, e.g. fulfillment_failed."];
            }
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = db.Orders.AsNoTracking();
        if (wanted is { } only)
        {
            query = query.Where(o => o.Status == only);
        }

        // CreatedAt is stored as sortable UTC text, so SQLite can order by it.
        var orders = await query.OrderByDescending(o => o.CreatedAt).Take(limit).ToListAsync(cancellationToken);
        return TypedResults.Ok<IReadOnlyList<OrderView>>(orders.Select(OrderView.From).ToList());
    }

    /// <summary>Outbox rows the dispatcher gave up on (oldest first), e.g. a message type this version does not know.</summary>
    public static async Task<Ok<IReadOnlyList<ParkedOutboxMessage>>> ListParkedAsync(
        ParkedOutboxMessages<ApiDbContext> parked, CancellationToken cancellationToken) =>
        TypedResults.Ok(await parked.ListAsync(cancellationToken));

    /// <summary>Puts a parked row back in line with a fresh attempt budget, once its cause is fixed.</summary>
    public static async Task<Results<NoContent, NotFound>> RequeueParkedAsync(
        Guid id, ParkedOutboxMessages<ApiDbContext> parked, CancellationToken cancellationToken) =>
        await parked.RequeueAsync(id, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();

    /// <summary>The contract's snake_case name (as the order view shows it) to the status.</summary>
    private static OrderStatus? ParseStatus(string name)
    {
        try
        {
            return JsonSerializer.Deserialize<OrderStatus>(JsonSerializer.Serialize(name));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
