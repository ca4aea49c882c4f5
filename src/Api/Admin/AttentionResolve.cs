using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// An operator dealt with the attention items they saw: those items are resolved with the operator's name and
/// note, and each leaves an entry in the order's history. The request names the items by id, so an item raised
/// after the operator's page was loaded (a webhook meanwhile) stays open; nothing on the order row is written,
/// so a concurrent webhook's change to the order is never overwritten.
/// </summary>
public static partial class AttentionResolve
{
    public static async Task<Results<Ok<AdminOrderDetail>, ValidationProblem, ProblemHttpResult>> ResolveAsync(
        Guid orderId, ResolveRequest? request, ClaimsPrincipal user, ApiDbContext db, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var note = request?.Note?.Trim();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(note) || note.Length > OrderHistoryEntry.MaxNoteLength)
        {
            errors["note"] = [$"A note of 1 to {OrderHistoryEntry.MaxNoteLength} characters saying what was done is required."];
        }

        if (request?.AttentionIds is not { Count: > 0 } attentionIds)
        {
            errors["attentionIds"] = ["The ids of the attention items that were dealt with (as the admin order view lists them) are required."];
            attentionIds = [];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The request is not valid; see errors.", title: "Invalid resolve request");
        }

        var order = await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken);
        if (order is null)
        {
            return AdminApi.OrderNotFound();
        }

        var named = await db.Set<OrderAttentionItem>().IgnoreQueryFilters()
            .Where(i => i.OrderId == orderId && attentionIds.Contains(i.Id)).ToListAsync(cancellationToken);
        if (attentionIds.Except(named.Select(i => i.Id)).ToList() is { Count: > 0 } unknown)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["attentionIds"] = [$"Not attention items of this order: {string.Join(", ", unknown)}."] },
                detail: "The request is not valid; see errors.", title: "Invalid resolve request");
        }

        var open = named.Where(i => i.IsOpen).ToList();
        if (open.Count == 0)
        {
            return NothingToResolve();
        }

        var requestedBy = AdminApi.Operator(user);
        var now = time.GetUtcNow();
        foreach (var item in open)
        {
            db.OrderHistory.Add(OrderHistoryEntry.ResolveAttention(item, requestedBy, note!, now));
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another operator resolved one of these items meanwhile; their note stands.
            return NothingToResolve();
        }

        LogResolved(loggerFactory.CreateLogger(typeof(AttentionResolve)), order.Id, requestedBy, open.Count);
        var current = await db.Orders.AsNoTracking().SingleAsync(o => o.Id == orderId, cancellationToken);
        return TypedResults.Ok(await AdminApi.DetailAsync(db, current, cancellationToken));
    }

    private static ProblemHttpResult NothingToResolve() =>
        TypedResults.Problem("The attention items named are already resolved; there is nothing to resolve.",
            statusCode: StatusCodes.Status409Conflict, title: "Nothing to resolve");

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestedBy} resolved {Count} attention item(s) of order {OrderId}")]
    private static partial void LogResolved(ILogger logger, Guid orderId, string requestedBy, int count);
}
