using System.Globalization;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.Messaging.Inbox;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.Messaging.Persistence;
using PuffinOffset.Platform.Persistence;

namespace PuffinOffset.HistorySeed;

/// <summary>
/// The queries of the services' hot paths and periodic passes, written as the services write them (the file named
/// with each), sent through EF Core to the seeded databases with <see cref="PlanRecorder"/> capturing the SQL and its
/// plan. Each runs in a transaction that is rolled back, so the seeded databases stay as they are.
/// </summary>
public static class HotQueries
{
    public sealed record HotQuery<TContext>(string Name, string Where, Func<TContext, Task> Run);

    public static async Task ExplainAsync(bool postgres, string api, string fulfillment, TextWriter output)
    {
        var now = DateTimeOffset.UtcNow;
        var batch = await BatchSample.ReadAsync(Api(postgres, api, null));
        var (apiSequences, apiMessage) = await OutboxSampleAsync(Api(postgres, api, null));
        var (fulfillmentSequences, fulfillmentMessage) = await OutboxSampleAsync(Fulfillment(postgres, fulfillment, null));

        output.WriteLine($"\nPlans on {(postgres ? "PostgreSQL" : "SQLite")} (load average {HistorySeeder.LoadAverage()}):");
        await RunAsync([.. ApiQueries.For(batch, now), .. MessagingQueries<ApiDbContext>(apiSequences, apiMessage, "OffsetOrderPlacedConsumer", now)],
            recorder => Api(postgres, api, recorder), postgres, output);
        await RunAsync([.. FulfillmentQueries.For(batch, now, postgres), .. MessagingQueries<FulfillmentDbContext>(fulfillmentSequences, fulfillmentMessage, "PaymentCompletedConsumer", now)],
            recorder => Fulfillment(postgres, fulfillment, recorder), postgres, output);
    }

    private static HotQuery<TContext>[] MessagingQueries<TContext>(List<long> sequences, Guid knownMessage, string consumer, DateTimeOffset now)
        where TContext : MessagingDbContext =>
    [
        new("outbox: next window", "Messaging/Outbox/OutboxDispatcher", db => db.OutboxMessages
            .Where(m => m.DispatchedAt == null && m.ParkedAt == null).Where(m => m.Sequence > 0).OrderBy(m => m.Sequence).Take(100).ForUpdateSkipLocked().ToListAsync()),
        new("outbox: backlog count", "Messaging/Outbox/OutboxDispatcher", db => db.OutboxMessages.CountAsync(m => m.DispatchedAt == null && m.ParkedAt == null)),
        new("outbox: parked count", "Messaging/Outbox/OutboxDispatcher", db => db.OutboxMessages.CountAsync(m => m.DispatchedAt == null && m.ParkedAt != null)),
        new("outbox: window still present", "Messaging/Outbox/OutboxDispatcher", db => db.OutboxMessages.Where(m => sequences.Contains(m.Sequence)).Select(m => m.Sequence).ToListAsync()),
        new("outbox: mark published", "Messaging/Outbox/OutboxDispatcher (OutboxExtensions.MarkDispatchedAsync)", db =>
            db.MarkDispatchedAsync([.. sequences], now, CancellationToken.None)),
        new("outbox: failed attempt", "Messaging/Outbox/OutboxDispatcher (SaveChanges)", async db =>
        {
            var row = await db.OutboxMessages.FirstAsync(m => m.Sequence == sequences[0]);
            db.Entry(row).Property(m => m.Attempts).CurrentValue = row.Attempts + 1;
            await db.SaveChangesAsync();
        }),
        new("inbox: delivery seen?", "Messaging/Inbox/GroupedInbox", db => db.InboxMessages.AnyAsync(m => m.MessageId == knownMessage && m.Consumer == consumer)),
        new("inbox: record delivery", "Messaging/Inbox/GroupedInbox (SaveChanges)", db =>
        {
            db.InboxMessages.Add(new InboxMessage { MessageId = Guid.CreateVersion7(), Consumer = consumer, ProcessedAt = now });
            return db.SaveChangesAsync();
        }),
        new("retention: published outbox rows", "Messaging/Persistence/MessageRetentionService", db =>
        {
            DateTimeOffset? cutoff = now.AddDays(-7);
            return db.OutboxMessages.Where(m => m.DispatchedAt != null && m.DispatchedAt < cutoff).ExecuteDeleteAsync();
        }),
        new("retention: inbox records", "Messaging/Persistence/MessageRetentionService", db =>
        {
            var cutoff = now.AddDays(-30);
            return db.InboxMessages.Where(m => m.ProcessedAt < cutoff).ExecuteDeleteAsync();
        }),
    ];

    private static async Task<(List<long> Sequences, Guid Message)> OutboxSampleAsync(MessagingDbContext db)
    {
        await using (db)
        {
            var sequences = await db.OutboxMessages.AsNoTracking().OrderByDescending(m => m.Sequence).Take(100).Select(m => m.Sequence).ToListAsync();
            var message = await db.InboxMessages.AsNoTracking().OrderByDescending(m => m.ProcessedAt).Select(m => m.MessageId).FirstAsync();
            return (sequences, message);
        }
    }

    private static async Task RunAsync<TContext>(IEnumerable<HotQuery<TContext>> queries, Func<PlanRecorder, TContext> open, bool postgres, TextWriter output)
        where TContext : DbContext
    {
        var recorder = new PlanRecorder(postgres);
        foreach (var query in queries)
        {
            await using var db = open(recorder);
            await using var transaction = await db.Database.BeginTransactionAsync();
            recorder.Clear();
            await query.Run(db);
            await transaction.RollbackAsync();
            foreach (var command in recorder.Commands)
            {
                var rows = command.Rows < 0 ? "–" : command.Rows.ToString(CultureInfo.InvariantCulture);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {query.Name} | {query.Where} | {Summary(command.Plan, postgres)} | {rows} | {command.Elapsed.TotalMilliseconds:0.00} ms |"));
                output.WriteLine("    " + command.Sql.ReplaceLineEndings(" "));
                foreach (var line in command.Plan)
                {
                    output.WriteLine("      " + line);
                }
            }
        }
    }

    // SQLite's plan is a few SEARCH/SCAN lines; of PostgreSQL's, the scan and write nodes (with their actual rows) and the time.
    private static readonly string[] PostgresNodes = ["Scan", "Execution Time", "Insert", "Update", "Delete", "Aggregate"];

    private static string Summary(IReadOnlyList<string> plan, bool postgres) => postgres
        ? string.Join("; ", plan.Where(l => PostgresNodes.Any(n => l.Contains(n, StringComparison.Ordinal))).Select(l => l.Trim().TrimStart('-', '>', ' ')))
        : string.Join("; ", plan);

    public static ApiDbContext Api(bool postgres, string connectionString, PlanRecorder? recorder) => postgres
        ? new PostgresApiDbContext(Options<PostgresApiDbContext>(b => b.UseNpgsql(connectionString).AddInterceptors(new SkipLocked.Interceptor()), recorder).Options)
        : new ApiDbContext(Options<ApiDbContext>(b => b.UseSqlite(connectionString), recorder).Options);

    public static FulfillmentDbContext Fulfillment(bool postgres, string connectionString, PlanRecorder? recorder) => postgres
        ? new PostgresFulfillmentDbContext(Options<PostgresFulfillmentDbContext>(b => b.UseNpgsql(connectionString).AddInterceptors(new SkipLocked.Interceptor()), recorder).Options)
        : new FulfillmentDbContext(Options<FulfillmentDbContext>(b => b.UseSqlite(connectionString), recorder).Options);

    private static DbContextOptionsBuilder<T> Options<T>(Action<DbContextOptionsBuilder<T>> engine, PlanRecorder? recorder) where T : DbContext
    {
        var builder = new DbContextOptionsBuilder<T>();
        // As the services run (SKIP LOCKED claims on PostgreSQL); the plan recorder comes after, on the final SQL.
        engine(builder);
        if (recorder is not null)
        {
            builder.AddInterceptors(recorder);
        }

        return builder;
    }
}
