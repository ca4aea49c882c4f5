using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;

namespace PuffinOffset.Api.Admin;

/// <summary>An operator dealt with what the order's attention said: it is cleared, and the note and the cleared sentence stay in its history.</summary>
public static partial class AttentionResolve
{
    public static async Task<Results<Ok<AdminOrderDetail>, ValidationProblem, ProblemHttpResult>> ResolveAsync(
        Guid orderId, ResolveRequest? request, ApiDbContext db, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var note = request?.Note?.Trim();
        if (string.IsNullOrEmpty(note) || note.Length > OrderHistoryEntry.MaxNoteLength)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["note"] = [$"A note of 1 to {OrderHistoryEntry.MaxNoteLength} characters saying what was done is required."] },
                detail: "The request is not valid; see errors.", title: "Invalid resolve request");
        }

        var order = await db.Orders.SingleOrDefaultAsync(o => o.Id == orderId, cancellationToken);
        if (order is null)
        {
            return AdminApi.OrderNotFound();
        }

        if (order.Attention is null)
        {
            return TypedResults.Problem("The order needs no attention; there is nothing to resolve.",
                statusCode: StatusCodes.Status409Conflict, title: "Nothing to resolve");
        }

        var requestedBy = AdminApi.Operator(request?.RequestedBy);
        db.OrderHistory.Add(OrderHistoryEntry.ResolveAttention(order, requestedBy, note, time.GetUtcNow()));
        await db.SaveChangesAsync(cancellationToken);
        LogResolved(loggerFactory.CreateLogger(typeof(AttentionResolve)), order.Id, requestedBy);
        return TypedResults.Ok(await AdminApi.DetailAsync(db, order, cancellationToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestedBy} resolved the attention of order {OrderId}")]
    private static partial void LogResolved(ILogger logger, Guid orderId, string requestedBy);
}
