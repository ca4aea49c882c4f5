using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// Asks Fulfillment to try <c>fulfillment_failed</c> orders again. The request, its history entry and the
/// outgoing <see cref="FulfillmentReplayRequested"/> commit together; Fulfillment looks the order up at Wren
/// before any new POST, and its outcome moves the order on as any other outcome does. Until an outcome arrives the
/// request is resent on the <c>PAID_ORDER_RESEND_AFTER</c> schedule (<see cref="Recovery.PaidOrderResender"/>).
/// </summary>
public static partial class FulfillmentReplay
{
    public static async Task<Results<Accepted<AdminOrderDetail>, ValidationProblem, ProblemHttpResult>> ReplayOneAsync(
        Guid orderId,
        [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] ReplayRequest? request,
        ClaimsPrincipal user, ApiDbContext db, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (NoteTooLong(request?.Note) is { } invalid)
        {
            return invalid;
        }

        var order = await db.Orders.SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken);
        if (order is null)
        {
            return AdminApi.OrderNotFound();
        }

        if (order.Status != OrderStatus.FulfillmentFailed)
        {
            return TypedResults.Problem($"The order is {OrderStatusNames.Of(order.Status)}; only a fulfillment_failed order can be replayed.",
                statusCode: StatusCodes.Status409Conflict, title: "Order not failed");
        }

        var requestedBy = AdminApi.Operator(user);
        Request(db, order, requestedBy, request?.Note, time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        LogReplayRequested(loggerFactory.CreateLogger(typeof(FulfillmentReplay)), order.Id, requestedBy);
        return TypedResults.Accepted($"/api/admin/orders/{order.Id}", await AdminApi.DetailAsync(db, order, cancellationToken));
    }

    public static async Task<Results<Accepted<ReplayAllResult>, ValidationProblem>> ReplayAllAsync(
        ReplayAllRequest? request, ClaimsPrincipal user, ApiDbContext db, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (request?.Status != OrderStatusNames.Of(OrderStatus.FulfillmentFailed))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["status"] = ["status must be fulfillment_failed: only failed fulfilments can be replayed."] },
                detail: "The request is not valid; see errors.", title: "Invalid replay request");
        }

        if (NoteTooLong(request.Note) is { } invalid)
        {
            return invalid;
        }

        var requestedBy = AdminApi.Operator(user);
        var now = time.GetUtcNow();
        var orders = await db.Orders.Where(o => o.Status == OrderStatus.FulfillmentFailed)
            .OrderBy(o => o.CreatedAt).ToListAsync(cancellationToken);
        foreach (var order in orders)
        {
            Request(db, order, requestedBy, request.Note, now);
        }

        var orderIds = orders.Select(o => o.Id).ToList();

        await db.SaveChangesAsync(cancellationToken);
        LogReplayAllRequested(loggerFactory.CreateLogger(typeof(FulfillmentReplay)), orderIds.Count, requestedBy);
        return TypedResults.Accepted("/api/admin/orders?status=fulfillment_failed", new ReplayAllResult(orderIds.Count, orderIds));
    }

    private static void Request(ApiDbContext db, Order order, string requestedBy, string? note, DateTimeOffset now)
    {
        db.OrderHistory.Add(OrderHistoryEntry.ReplayRequested(order.Id, requestedBy, note, now));
        db.Enqueue(order.RequestReplay(Guid.NewGuid(), requestedBy, note, now), now);
    }

    private static ValidationProblem? NoteTooLong(string? note) => note is { Length: > OrderHistoryEntry.MaxNoteLength }
        ? TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { ["note"] = [$"note may be at most {OrderHistoryEntry.MaxNoteLength} characters."] },
            detail: "The request is not valid; see errors.", title: "Invalid replay request")
        : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestedBy} asked Fulfillment to replay order {OrderId}")]
    private static partial void LogReplayRequested(ILogger logger, Guid orderId, string requestedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestedBy} asked Fulfillment to replay {Count} failed order(s)")]
    private static partial void LogReplayAllRequested(ILogger logger, int count, string requestedBy);
}
