using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Messaging.DeadLetters;
using RabbitMQ.Client.Exceptions;

namespace PuffinOffset.Api.Admin;

/// <summary>
/// The <c>_error</c> and <c>_skipped</c> queues of both services, from the console: each with its depth and oldest
/// message, emptied in one action by moving its messages back to their queue or discarding them. Each order a
/// handled message was about gets an entry in its history with the operator's name; the broker side is in
/// <see cref="DeadLetterQueues"/>.
/// </summary>
public static partial class DeadLetterActions
{
    public static async Task<Results<Ok<IReadOnlyList<DeadLetterQueueState>>, ProblemHttpResult>> ListAsync(
        DeadLetterQueues queues, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await queues.ListAsync(cancellationToken));
        }
        catch (Exception ex) when (IsBrokerFailure(ex))
        {
            LogBrokerUnreachable(Logger(loggerFactory), ex);
            return BrokerUnavailable("The dead-letter queues cannot be read: the broker is unreachable.");
        }
    }

    public static Task<Results<Ok<DeadLetterActionResult>, ProblemHttpResult>> MoveBackAsync(
        string queue, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] DeadLetterActionRequest? request,
        ClaimsPrincipal user, DeadLetterQueues queues, ApiDbContext db, TimeProvider time, ILoggerFactory loggerFactory) =>
        HandleAsync(queue, OrderHistoryKind.DeadLetterMovedBack, request, user, queues, db, time, loggerFactory);

    public static Task<Results<Ok<DeadLetterActionResult>, ProblemHttpResult>> DiscardAsync(
        string queue, [FromBody(EmptyBodyBehavior = Microsoft.AspNetCore.Mvc.ModelBinding.EmptyBodyBehavior.Allow)] DeadLetterActionRequest? request,
        ClaimsPrincipal user, DeadLetterQueues queues, ApiDbContext db, TimeProvider time, ILoggerFactory loggerFactory) =>
        HandleAsync(queue, OrderHistoryKind.DeadLetterDiscarded, request, user, queues, db, time, loggerFactory);

    // Not cancelled with the request: an operator closing the page halfway would leave messages moved but not recorded.
    private static async Task<Results<Ok<DeadLetterActionResult>, ProblemHttpResult>> HandleAsync(
        string queueName, OrderHistoryKind action, DeadLetterActionRequest? request, ClaimsPrincipal user,
        DeadLetterQueues queues, ApiDbContext db, TimeProvider time, ILoggerFactory loggerFactory)
    {
        if (DeadLetterQueue.Find(queueName) is not { } queue)
        {
            return TypedResults.Problem("No dead-letter queue of this system has this name; GET /api/admin/dead-letters lists them.",
                statusCode: StatusCodes.Status404NotFound, title: "Dead-letter queue not found");
        }

        var logger = Logger(loggerFactory);
        var requestedBy = AdminApi.Operator(user);
        DeadLetterBatch batch;
        try
        {
            batch = action == OrderHistoryKind.DeadLetterMovedBack
                ? await queues.MoveBackAsync(queue, CancellationToken.None)
                : await queues.DiscardAsync(queue, CancellationToken.None);
        }
        catch (Exception ex) when (IsBrokerFailure(ex))
        {
            LogBrokerUnreachable(logger, ex);
            return BrokerUnavailable($"Nothing was taken from {queue.Name}: the broker is unreachable.");
        }

        var moveBack = action == OrderHistoryKind.DeadLetterMovedBack;
        var verb = moveBack ? "moved back" : "discarded";
        // Logged before the history is written, so the action is on record even if the database fails next.
        LogHandled(logger, requestedBy, batch.Handled.Count, batch.Found, queue.Name, verb);
        var orderIds = await RecordAsync(db, queue, action, batch, requestedBy, request?.Note?.Trim(), time.GetUtcNow());
        if (batch.Interrupted)
        {
            return BrokerUnavailable(
                $"The broker failed after {batch.Handled.Count} of {batch.Found} message(s) were {verb}; the rest are still in {queue.Name}.");
        }

        return TypedResults.Ok(new DeadLetterActionResult(queue.Name, moveBack ? "move_back" : "discard",
            batch.Found, batch.Handled.Count, orderIds));
    }

    /// <summary>One history entry per known order per action, naming the queue and the fault it had met.</summary>
    private static async Task<IReadOnlyList<Guid>> RecordAsync(ApiDbContext db, DeadLetterQueue queue, OrderHistoryKind action,
        DeadLetterBatch batch, string requestedBy, string? note, DateTimeOffset now)
    {
        var letters = batch.Handled.Where(l => l.OrderId is not null).GroupBy(l => l.OrderId!.Value).ToDictionary(g => g.Key, g => g.ToList());
        var ids = letters.Keys.ToList();
        // Only orders this Api knows can carry history; a message about another order is in the log line alone.
        var known = await db.Orders.Where(o => ids.Contains(o.Id)).Select(o => o.Id).ToListAsync(CancellationToken.None);
        foreach (var orderId in known)
        {
            db.OrderHistory.Add(OrderHistoryEntry.DeadLetterHandled(orderId, action, requestedBy, Describe(queue, action, letters[orderId], note), now));
        }

        await db.SaveChangesAsync(CancellationToken.None);
        return ids;
    }

    private static string Describe(DeadLetterQueue queue, OrderHistoryKind action, IReadOnlyList<DeadLetter> letters, string? note)
    {
        var what = action == OrderHistoryKind.DeadLetterMovedBack
            ? $"Moved back from {queue.Name} to {queue.SourceQueue}"
            : $"Discarded from {queue.Name}";
        var messages = string.Join("; ", letters.Select(l =>
            $"{l.MessageType ?? "message"} {l.MessageId}" + (l.ExceptionType is null ? "" : $" ({l.ExceptionType}: {l.ExceptionMessage})")));
        return string.IsNullOrEmpty(note) ? $"{what}: {messages}." : $"{what}: {messages}. {note}";
    }

    private static bool IsBrokerFailure(Exception ex) => ex is RabbitMQClientException or BrokerUnreachableException or IOException or TimeoutException;

    private static ProblemHttpResult BrokerUnavailable(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Broker unavailable");

    private static ILogger Logger(ILoggerFactory loggerFactory) => loggerFactory.CreateLogger(typeof(DeadLetterActions));

    [LoggerMessage(Level = LogLevel.Information, Message = "{RequestedBy} {Verb} {Handled} of {Found} dead letter(s) in {Queue}")]
    private static partial void LogHandled(ILogger logger, string requestedBy, int handled, long found, string queue, string verb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The dead-letter queues could not be reached on the broker")]
    private static partial void LogBrokerUnreachable(ILogger logger, Exception exception);
}
