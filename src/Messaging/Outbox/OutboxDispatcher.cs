using System.Diagnostics;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform.Persistence;
using PuffinOffset.Platform;

namespace PuffinOffset.Messaging.Outbox;

/// <summary>
/// Publishes committed outbox rows in sequence order, a window of them at once (their confirms awaited
/// together), each with its stored message id and trace context. Rows are marked dispatched only after the
/// broker confirmed them (on SQLite the marks of several batches in one write, see <see cref="PendingMarks"/>),
/// so a crash in between publishes them again with the same ids and the receiver's inbox drops the copies. When the
/// broker fails it stops and retries with capped exponential backoff; a row that alone keeps failing is
/// parked so it cannot block the rows behind it.
/// </summary>
public sealed partial class OutboxDispatcher<TContext>(
    IServiceScopeFactory scopeFactory,
    IBus bus,
    OutboxSignal signal,
    OutboxClaims claims,
    OutboxMetrics metrics,
    GaugeRefreshes refreshes,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher<TContext>> logger) : BackgroundService
    where TContext : MessagingDbContext
{
    public static readonly ActivitySource ActivitySource = new("PuffinOffset.Outbox");

    /// <summary>The <see cref="GaugeRefreshes"/> name of the backlog gauges this dispatcher reads.</summary>
    public const string BacklogRefresher = "outbox_backlog";

    /// <summary>Held marks are written once this many rows are waiting, even before their interval ends.</summary>
    private const int MaxPendingMarks = 2_000;

    private readonly OutboxOptions _options = options.Value;
    private readonly PendingMarks _pendingMarks = new(options.Value.MarkInterval, MaxPendingMarks);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.DispatcherEnabled)
        {
            LogDisabled(logger);
            return;
        }

        refreshes.Watch(BacklogRefresher);
        var consecutiveFailures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var drained = await DispatchBatchAsync(stoppingToken);
                consecutiveFailures = 0;
                if (_pendingMarks.DueIn(time.GetUtcNow()) == TimeSpan.Zero)
                {
                    await WritePendingMarksAsync(stoppingToken);
                }

                if (drained)
                {
                    await signal.WaitAsync(NextWake(), time, stoppingToken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                consecutiveFailures++;
                var delay = RetryDelay(consecutiveFailures);
                LogDispatchFailed(logger, ex, consecutiveFailures, delay);
                try
                {
                    await Task.Delay(delay, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await WriteMarksOnStopAsync();
    }

    /// <summary>The poll, or sooner when held marks fall due.</summary>
    private TimeSpan NextWake() =>
        _pendingMarks.DueIn(time.GetUtcNow()) is { } dueIn && dueIn < _options.PollInterval ? dueIn : _options.PollInterval;

    /// <summary>
    /// Returns true when no deliverable rows remain. A row that fails is skipped so the rows behind it
    /// still flow (consumers tolerate reordering); a window in which nothing got through means the broker,
    /// not a row, is the problem, and the batch stops for the backoff. A row that cannot be read (unknown type after a
    /// rollback, a broken payload) is parked at once; one that keeps failing while others get through is
    /// parked after <see cref="OutboxOptions.MaxPublishAttempts"/>.
    /// </summary>
    private async Task<bool> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();

        // Several replicas share a PostgreSQL database: the batch is claimed under FOR UPDATE SKIP LOCKED
        // in a transaction held until its rows are marked, so concurrent dispatchers publish different rows
        // (each in sequence order; across replicas the order is not global, and receivers do not rely on it).
        // A replica that dies mid-batch loses its connection and with it the locks: another one publishes
        // those rows, and the receivers' inboxes drop the rare copy of a row published but not yet marked.
        // SQLite has one process per file and a single writer, which the business transactions need while
        // the broker confirms: no transaction there.
        var postgres = db.Database.IsNpgsql();
        await using var claim = postgres ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var reservationsBeforeRead = claims.Reservations;
        var deliverable = db.OutboxMessages.Where(m => m.DispatchedAt == null && m.ParkedAt == null);
        if (_pendingMarks.Watermark is { } watermark)
        {
            // Confirmed rows whose marks are held in memory are unmarked on disk: not published twice.
            deliverable = deliverable.Where(m => m.Sequence > watermark);
        }

        var batch = await deliverable
            .OrderBy(m => m.Sequence)
            .Take(_options.BatchSize)
            .ForUpdateSkipLocked()
            .ToListAsync(cancellationToken);
        await ReportBacklogAsync(db, batch, cancellationToken);

        var published = new List<OutboxMessage>(batch.Count);
        var failed = new List<OutboxMessage>();
        var claimed = new List<OutboxMessage>();
        OutboxPublishException? brokerFailure = null;
        try
        {
            // A window of rows is published at once and their confirms awaited together: one broker round trip
            // per window instead of one per row, so the commit → broker delay stays flat under a burst. Each
            // window's publishes are started in sequence order on the bus's channel.
            foreach (var rows in batch.Chunk(_options.PublishConcurrency))
            {
                var window = postgres ? rows : await ClaimWindowAsync(db, rows, reservationsBeforeRead, cancellationToken);
                claimed.AddRange(window);
                var outcomes = await Task.WhenAll(window.Select(row => TryPublishAsync(row, cancellationToken)));
                var windowFailure = default(OutboxPublishException);
                var windowPublished = outcomes.Count(outcome => outcome is null);
                var confirmedAt = time.GetUtcNow();
                for (var i = 0; i < window.Length; i++)
                {
                    var row = window[i];
                    if (outcomes[i] is not { } ex)
                    {
                        row.MarkDispatched(confirmedAt);
                        published.Add(row);
                        continue;
                    }

                    // Only a failure beside rows that got through says something about this row; a window in which
                    // nothing got through is the broker's (an outage of minutes once parked every row it held the
                    // moment the first publish after it succeeded).
                    row.RecordFailedAttempt(ex.InnerException?.Message ?? ex.Message, countsTowardParking: windowPublished > 0 || ex.Unreadable);
                    failed.Add(row);
                    if (ex.Unreadable)
                    {
                        Park(row);
                        continue;
                    }

                    windowFailure = brokerFailure = ex;
                }

                // Nothing in the window got through: the broker, not a row, is the problem. Stop for the backoff.
                if (windowFailure is not null && windowPublished == 0)
                {
                    break;
                }
            }

            // Others got through, so the broker is fine and these rows are the problem.
            if (published.Count > 0)
            {
                foreach (var row in failed.Where(r => r.ParkedAt is null && r.Attempts >= _options.MaxPublishAttempts))
                {
                    Park(row);
                }
            }
        }
        finally
        {
            try
            {
                await RecordOutcomesAsync(db, claim, postgres, published, failed);
            }
            finally
            {
                // Held marks keep their rows claimed until they are written.
                claims.Release(claimed.Where(r => !_pendingMarks.Holds(r)));
            }
        }

        if (brokerFailure is not null && failed.Any(r => r.ParkedAt is null))
        {
            throw brokerFailure;
        }

        return batch.Count < _options.BatchSize;
    }

    private async Task RecordOutcomesAsync(TContext db, IDbContextTransaction? claim, bool postgres,
        List<OutboxMessage> published, List<OutboxMessage> failed)
    {
        foreach (var row in published)
        {
            metrics.Published(row.MessageType, row.DispatchedAt!.Value - row.CreatedAt);
        }

        // One write for everything the broker confirmed and every attempt counted, even when a later row
        // failed. A crash before this write republishes those rows with the same message ids, which the
        // receivers' inboxes drop. On SQLite a batch that went through cleanly only adds its marks to the
        // held ones (see PendingMarks); a failure is recorded at once, and the held marks with it.
        if (!postgres && _options.MarkInterval > TimeSpan.Zero && failed.Count == 0)
        {
            _pendingMarks.Add(published, time.GetUtcNow());
        }
        else if (published.Count + failed.Count + _pendingMarks.Count > 0)
        {
            await WriteMarksAsync(db, [.. published, .. _pendingMarks.Rows], CancellationToken.None);
            foreach (var row in published)
            {
                db.Entry(row).State = EntityState.Detached;
            }

            if (failed.Count > 0)
            {
                await SaveFailedAttemptsAsync(db);
            }

            claims.Release(_pendingMarks.Rows);
            _pendingMarks.Clear();
        }

        if (claim is not null)
        {
            await claim.CommitAsync(CancellationToken.None);
        }
    }

    private async Task WritePendingMarksAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopeFactory.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TContext>();
        await WriteMarksAsync(db, _pendingMarks.Rows, cancellationToken);
        claims.Release(_pendingMarks.Rows);
        _pendingMarks.Clear();
    }

    /// <summary>
    /// SQLite: the window's rows as they are now. A withdrawal may have deleted rows of this batch after it was read
    /// (it commits before the dispatcher claims them, or it reserved them and the claim leaves them out); they are
    /// checked again only when a withdrawal began since the read, which is rare.
    /// </summary>
    private async Task<OutboxMessage[]> ClaimWindowAsync(TContext db, OutboxMessage[] rows, long reservationsBeforeRead, CancellationToken cancellationToken)
    {
        var window = claims.ClaimWindow(rows);
        if (claims.Reservations == reservationsBeforeRead || window.Length == 0)
        {
            return window;
        }

        var sequences = window.Select(r => r.Sequence).ToList();
        var present = (await db.OutboxMessages.Where(m => sequences.Contains(m.Sequence)).Select(m => m.Sequence).ToListAsync(cancellationToken)).ToHashSet();
        var withdrawn = window.Where(r => !present.Contains(r.Sequence)).ToArray();
        foreach (var row in withdrawn)
        {
            db.Entry(row).State = EntityState.Detached;
        }

        claims.Release(withdrawn);
        return window.Where(r => present.Contains(r.Sequence)).ToArray();
    }

    /// <summary>
    /// The batch's failed attempts (tracked rows). A row whose publish failed may have been withdrawn meanwhile (deleted
    /// with the refund that made it wrong, see <see cref="OutboxClaims"/>): its attempt count has no row left to
    /// land on, so it is dropped and the rest written again.
    /// </summary>
    private static async Task SaveFailedAttemptsAsync(TContext db)
    {
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException ex) when (!db.Database.IsNpgsql())
        {
            foreach (var entry in ex.Entries)
            {
                entry.State = EntityState.Detached;
            }

            await db.SaveChangesAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The dispatched marks of confirmed rows, this batch's and the held ones of earlier batches, in one statement. Each
    /// row gets the newest confirm time among them: all were confirmed within a mark interval or a batch of it, and the
    /// mark is read only as "published" and by the outbox retention, which counts days. The rows are still claimed, so
    /// none was withdrawn meanwhile.
    /// </summary>
    private static async Task WriteMarksAsync(TContext db, IReadOnlyCollection<OutboxMessage> rows, CancellationToken cancellationToken)
    {
        if (rows.Count > 0)
        {
            await db.MarkDispatchedAsync([.. rows.Select(r => r.Sequence)], rows.Max(r => r.DispatchedAt!.Value), cancellationToken);
        }
    }

    /// <summary>A graceful stop writes the held marks, so that the next start does not publish those rows again.</summary>
    private async Task WriteMarksOnStopAsync()
    {
        if (_pendingMarks.Count == 0)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await WritePendingMarksAsync(timeout.Token);
        }
        catch (Exception ex)
        {
            LogMarksNotWritten(logger, ex, _pendingMarks.Count);
        }
    }

    private void Park(OutboxMessage row)
    {
        row.Park(time.GetUtcNow());
        LogParked(logger, row.MessageType, row.MessageId, row.Sequence, row.Attempts, row.LastError);
    }

    /// <summary>The publish's failure as a value, so that one row's failure never cancels its window's other confirms.</summary>
    private async Task<OutboxPublishException?> TryPublishAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        try
        {
            await PublishAsync(row, cancellationToken);
            claims.Answered(row, confirmed: true);
            return null;
        }
        catch (OutboxPublishException ex)
        {
            claims.Answered(row, confirmed: false);
            return ex;
        }
    }

    private async Task PublishAsync(OutboxMessage row, CancellationToken cancellationToken)
    {
        using var activity = StartActivity(row);
        object message;
        try
        {
            message = row.Deserialize();
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.Text.Json.JsonException or NotSupportedException)
        {
            metrics.PublishFailed(row.MessageType);
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw new OutboxPublishException(row.MessageType, row.MessageId, ex, unreadable: true);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.PublishTimeout);
        try
        {
            await bus.Publish(message, message.GetType(), Pipe.Execute<PublishContext>(context =>
            {
                context.MessageId = row.MessageId;
                // Unroutable (no consumer queue bound yet, e.g. the receiving service never ran) is a
                // failed publish, not a silent drop: the broker returns it and the row stays pending.
                if (context.TryGetPayload<RabbitMqSendContext>(out var rabbit))
                {
                    rabbit.Mandatory = true;
                }
            }), timeout.Token);
            LogPublished(logger, row.MessageType, row.MessageId, row.Sequence);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            metrics.PublishFailed(row.MessageType);
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw new OutboxPublishException(row.MessageType, row.MessageId, ex, unreadable: false);
        }
    }

    /// <summary>Continues the trace of the transaction that wrote the row.</summary>
    private static Activity? StartActivity(OutboxMessage row)
    {
        ActivityContext.TryParse(row.TraceParent, row.TraceState, isRemote: false, out var parent);
        var activity = ActivitySource.StartActivity($"outbox publish {row.MessageType}", ActivityKind.Internal, parent);
        if (activity is null && row.TraceParent is not null)
        {
            // Nobody samples our source: still carry the trace id for logs and MassTransit's headers.
            activity = new Activity("outbox publish").SetParentId(row.TraceParent).Start();
        }

        activity?.SetTag("messaging.message.id", row.MessageId.ToString());
        activity?.SetTag("messaging.message.type", row.MessageType);
        return activity;
    }

    private async Task ReportBacklogAsync(TContext db, List<OutboxMessage> batch, CancellationToken cancellationToken)
    {
        var pending = batch.Count < _options.BatchSize
            ? batch.Count
            : await db.OutboxMessages.CountAsync(m => m.DispatchedAt == null && m.ParkedAt == null, cancellationToken) - _pendingMarks.Count;
        var oldest = batch.Count > 0 ? time.GetUtcNow() - batch[0].CreatedAt : TimeSpan.Zero;
        metrics.Backlog(pending, oldest);
        metrics.Parked(await db.OutboxMessages.CountAsync(m => m.DispatchedAt == null && m.ParkedAt != null, cancellationToken));
        refreshes.Succeeded(BacklogRefresher);
    }

    private TimeSpan RetryDelay(int consecutiveFailures)
    {
        var exponent = Math.Min(consecutiveFailures - 1, 16);
        var delay = _options.MinRetryDelay * Math.Pow(2, exponent);
        return delay < _options.MaxRetryDelay ? delay : _options.MaxRetryDelay;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox dispatcher is disabled by configuration; messages stay in the outbox")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Published {MessageType} {MessageId} (outbox sequence {Sequence})")]
    private static partial void LogPublished(ILogger logger, string messageType, Guid messageId, long sequence);

    [LoggerMessage(Level = LogLevel.Error, Message = "Outbox row {Sequence} ({MessageType} {MessageId}) parked after {Attempts} failed publishes: {LastError}. Later rows flow; an operator re-queues it")]
    private static partial void LogParked(ILogger logger, string messageType, Guid messageId, long sequence, int attempts, string? lastError);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing the dispatched marks of {Count} published outbox rows failed at shutdown; the next start publishes them again with the same message ids")]
    private static partial void LogMarksNotWritten(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox dispatch failed ({ConsecutiveFailures} in a row); retrying in {Delay}")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception, int consecutiveFailures, TimeSpan delay);
}

public sealed class OutboxPublishException(string messageType, Guid messageId, Exception inner, bool unreadable)
    : Exception($"Publishing {messageType} {messageId} failed: {inner.Message}", inner)
{
    /// <summary>The row itself cannot become a message (unknown type, broken payload): retrying cannot help.</summary>
    public bool Unreadable { get; } = unreadable;
}
