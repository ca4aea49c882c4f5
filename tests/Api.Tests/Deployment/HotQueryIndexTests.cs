using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Observability;
using PuffinOffset.Api.Persistence;
using PuffinOffset.Api.Recovery;
using PuffinOffset.Api.Retention;

namespace PuffinOffset.Api.Tests.Deployment;

/// <summary>
/// The periodic queries over the orders read only the rows they are after, through the indexes the migrations create,
/// so that their cost does not grow with the history (docs/performance.md, "Cost flat with history"). A dropped index
/// or a query that no longer matches it turns one of these red before a long history makes it slow.
/// </summary>
public sealed class HotQueryIndexTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_failed_fulfilment_gauge_reads_only_the_failed_orders_through_the_status_index()
    {
        await using var db = await MigratedAsync();
        if (TestDatabase.IsPostgres)
        {
            Assert.Equal("""CREATE INDEX "IX_orders_Status_CreatedAt" ON public.orders USING btree ("Status", "CreatedAt")""",
                await QueryPlan.PostgresIndexAsync(db, "IX_orders_Status_CreatedAt"));
            return;
        }

        var plan = await QueryPlan.SqliteAsync(db, OrderGaugeRefresher.FailedOrders(db).Select(o => o.Id));
        Assert.Equal(["SEARCH o USING INDEX IX_orders_Status_CreatedAt (Status=?)"], plan);
    }

    [Fact]
    public async Task The_attention_gauge_counts_from_the_open_attention_items_without_reading_the_orders()
    {
        await using var db = await MigratedAsync();
        var query = OrderGaugeRefresher.OrdersNeedingAttention(db);
        Assert.DoesNotMatch("FROM \"?orders\"? ", query.ToQueryString());
        if (TestDatabase.IsPostgres)
        {
            Assert.Contains("""("ResolvedAt", "OrderId")""", await QueryPlan.PostgresIndexAsync(db, "IX_order_attention_ResolvedAt_OrderId"));
            return;
        }

        var plan = await QueryPlan.SqliteAsync(db, query);
        Assert.Contains("SEARCH o USING COVERING INDEX IX_order_attention_ResolvedAt_OrderId (ResolvedAt=?)", plan);
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN ", StringComparison.Ordinal) && !line.StartsWith("SCAN o0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_email_retention_batch_reads_the_partial_index_of_orders_that_still_have_an_email()
    {
        await using var db = await MigratedAsync();
        if (TestDatabase.IsPostgres)
        {
            Assert.Equal("""CREATE INDEX "IX_orders_CreatedAt_CustomerEmail" ON public.orders USING btree ("CreatedAt") WHERE ("CustomerEmail" IS NOT NULL)""",
                await QueryPlan.PostgresIndexAsync(db, OrderConfiguration.OrdersWithEmailByAge));
            return;
        }

        var plan = await QueryPlan.SqliteAsync(db, DataRetentionService.OrdersWithEmailBefore(db, DateTimeOffset.UtcNow.AddDays(-400), 1000).Select(o => o.Id));
        Assert.Equal(["SEARCH o USING INDEX IX_orders_CreatedAt_CustomerEmail (CreatedAt<?)"], plan);
    }

    [Fact]
    public async Task The_refund_resend_reads_the_partial_index_of_unacknowledged_refunds_not_every_refunded_order()
    {
        await using var db = await MigratedAsync();
        var due = PaidOrderResender.RefundsDue(db, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(15));
        if (TestDatabase.IsPostgres)
        {
            Assert.Equal("""CREATE INDEX "IX_orders_UnacknowledgedRefunds" ON public.orders USING btree ("Status", "RefundedAt") WHERE ((("Status")::text = 'Refunded'::text) AND ("RefundAcknowledgedAt" IS NULL))""",
                await QueryPlan.PostgresIndexAsync(db, OrderConfiguration.UnacknowledgedRefunds));
            Assert.Contains(OrderConfiguration.UnacknowledgedRefunds, await QueryPlan.PostgresAsync(db, due));
            return;
        }

        Assert.Contains("SEARCH o USING INDEX IX_orders_UnacknowledgedRefunds (Status=?)", await QueryPlan.SqliteAsync(db, due));
    }

    [Fact]
    public async Task The_replay_request_resend_reads_the_partial_index_of_pending_requests_not_every_failed_order()
    {
        await using var db = await MigratedAsync();
        var due = PaidOrderResender.ReplayRequestsDue(db, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(15));
        if (TestDatabase.IsPostgres)
        {
            Assert.Equal("""CREATE INDEX "IX_orders_PendingReplayRequests" ON public.orders USING btree ("Status", "ReplayRequestedAt") WHERE ("PendingReplayRequestId" IS NOT NULL)""",
                await QueryPlan.PostgresIndexAsync(db, OrderConfiguration.PendingReplayRequests));
            Assert.Contains(OrderConfiguration.PendingReplayRequests, await QueryPlan.PostgresAsync(db, due));
            return;
        }

        Assert.Contains("SEARCH o USING INDEX IX_orders_PendingReplayRequests (Status=?)", await QueryPlan.SqliteAsync(db, due));
    }

    private async Task<ApiDbContext> MigratedAsync()
    {
        ApiDbContext db = TestDatabase.IsPostgres
            ? new PostgresApiDbContext(await TestDatabase.OptionsAsync<PostgresApiDbContext>(_folder.File("orders.db")))
            : new ApiDbContext(await TestDatabase.OptionsAsync<ApiDbContext>(_folder.File("orders.db")));
        await db.Database.MigrateAsync();
        return db;
    }
}
