using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Retention;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// A customer asked to be forgotten: every order bought with that email loses it (amounts, ids and statuses stay
/// for the accounts), and each order's history records who erased it and why, never the email itself. Answering
/// again for the same email finds nothing left to erase.
/// </summary>
public static partial class CustomerDataErasure
{
    public static async Task<Results<Ok<ErasureResult>, ValidationProblem>> EraseAsync(
        ErasureRequest? request, ClaimsPrincipal user, ApiDbContext db, TimeProvider time, RetentionMetrics metrics, ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var email = request?.Email?.Trim();
        var note = request?.Note?.Trim();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(email) || email.Length > 254 || !email.Contains('@', StringComparison.Ordinal))
        {
            errors["email"] = ["The customer's email address is required."];
        }

        if (note is { Length: > OrderHistoryEntry.MaxNoteLength })
        {
            errors["note"] = [$"The note is at most {OrderHistoryEntry.MaxNoteLength} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: "The request is not valid; see errors.", title: "Invalid erasure request");
        }

        // Emails are kept as the customer typed them; a request may spell them in another case.
        var wanted = email!.ToLowerInvariant();
        var orders = await db.Orders.Where(o => o.CustomerEmail != null && o.CustomerEmail.ToLower() == wanted)
            .ToListAsync(cancellationToken);
        var requestedBy = AdminApi.Operator(user);
        var now = time.GetUtcNow();
        foreach (var order in orders)
        {
            order.EraseCustomerEmail(now);
            db.OrderHistory.Add(OrderHistoryEntry.CustomerDataErased(order.Id, requestedBy, string.IsNullOrEmpty(note) ? null : note, now));
        }

        await db.SaveChangesAsync(cancellationToken);
        metrics.EmailsErased(orders.Count, RetentionMetrics.Requested);
        LogErased(loggerFactory.CreateLogger(typeof(CustomerDataErasure)), requestedBy, orders.Count);
        return TypedResults.Ok(new ErasureResult(orders.Count, [.. orders.Select(o => o.Id)]));
    }

    // The email itself is never logged: the log would keep what the request erased.
    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestedBy} erased the customer email of {Count} order(s) on request")]
    private static partial void LogErased(ILogger logger, string requestedBy, int count);
}

/// <summary>Body of an erasure request: the customer's email (required), an optional note and who asked.</summary>
public sealed record ErasureRequest(string? Email, string? Note);

/// <summary>The orders whose customer email was erased (none when nothing was held).</summary>
public sealed record ErasureResult(int Erased, IReadOnlyList<Guid> OrderIds);
