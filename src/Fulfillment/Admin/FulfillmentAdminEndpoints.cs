using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Fulfillments;
using PuffinOffset.Fulfillment.Persistence;

namespace PuffinOffset.Fulfillment.Admin;

/// <summary>
/// Operator endpoints, mapped only when <c>ADMIN_API_KEY</c> is set (bearer token): read a fulfilment's
/// state and reason, and replay one that ended <c>fulfillment_failed</c> once its cause is fixed.
/// </summary>
public static class FulfillmentAdminEndpoints
{
    public sealed record FulfillmentView(
        Guid OrderId, string State, decimal Tons, int PortfolioId, int Attempts, bool OutcomeUnknown,
        string? LastError, string? WrenOrderId, bool DryRun, DateTimeOffset NextAttemptAt, DateTimeOffset? PlacedAt,
        DateTimeOffset? FailedAt, DateTimeOffset UpdatedAt, string WrenNote);

    public static WebApplication MapFulfillmentAdmin(this WebApplication app)
    {
        if (app.MapAdminGroup("/admin/fulfillments", app.Configuration) is not { } admin)
        {
            return app;
        }

        admin.MapGet("/{orderId:guid}", GetAsync);
        admin.MapPost("/{orderId:guid}/replay", ReplayAsync);
        return app;
    }

    private static async Task<Results<Ok<FulfillmentView>, NotFound>> GetAsync(Guid orderId, FulfillmentDbContext db, CancellationToken cancellationToken) =>
        await db.Fulfillments.AsNoTracking().SingleOrDefaultAsync(f => f.OrderId == orderId, cancellationToken) is { } fulfillment
            ? TypedResults.Ok(View(fulfillment))
            : TypedResults.NotFound();

    /// <summary>
    /// Failed → Scheduled, due now, fresh retry budget. An unknown last outcome stays unknown, so the
    /// replay looks the order up by its note before posting again.
    /// </summary>
    private static async Task<Results<Accepted<FulfillmentView>, NotFound, ProblemHttpResult>> ReplayAsync(
        Guid orderId, FulfillmentDbContext db, FulfillmentSignal signal, TimeProvider time, CancellationToken cancellationToken)
    {
        var fulfillment = await db.Fulfillments.SingleOrDefaultAsync(f => f.OrderId == orderId, cancellationToken);
        if (fulfillment is null)
        {
            return TypedResults.NotFound();
        }

        if (fulfillment.State != FulfillmentState.Failed)
        {
            return TypedResults.Problem(statusCode: 409, title: "Not failed", detail: $"The fulfilment is {fulfillment.State}; only a failed one can be replayed.");
        }

        fulfillment.Replay(time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify();
        return TypedResults.Accepted($"/admin/fulfillments/{orderId}", View(fulfillment));
    }

    private static FulfillmentView View(OffsetFulfillment f) => new(
        f.OrderId, f.State.ToString(), f.Tons, f.PortfolioId, f.Attempts, f.OutcomeUnknown, f.LastError, f.WrenOrderId,
        f.DryRun, f.NextAttemptAt, f.PlacedAt, f.FailedAt, f.UpdatedAt, f.Note);
}
