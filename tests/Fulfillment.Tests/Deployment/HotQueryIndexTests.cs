using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Deployment;

/// <summary>
/// The late-order check's periodic query and a graceful stop's hand-back of its leases read the few fulfilments they
/// are after through partial indexes, not every placed fulfilment of the history (docs/performance.md, "Cost flat with
/// history").
/// </summary>
public sealed class HotQueryIndexTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_late_order_check_reads_the_partial_index_of_the_fulfilments_still_waiting_for_it()
    {
        await using var db = await MigratedAsync();
        if (TestDatabase.IsPostgres)
        {
            Assert.Equal("""CREATE INDEX "IX_offset_fulfillments_LateOrderCheck" ON public.offset_fulfillments USING btree ("State", "UpdatedAt") WHERE "LateOrderCheckPending" """.TrimEnd(),
                await QueryPlan.PostgresIndexAsync(db, OffsetFulfillmentConfiguration.LateOrderChecksByAge));
            return;
        }

        var plan = await QueryPlan.SqliteAsync(db, LateWrenOrderCheck.Due(db, DateTimeOffset.UtcNow.AddMinutes(-10), 16));
        // One search per state, each in the partial index; never a walk of the (State, NextAttemptAt) index or the table.
        Assert.Equal(3, plan.Count(line => line.StartsWith("SEARCH o USING INDEX IX_offset_fulfillments_LateOrderCheck (State=?)", StringComparison.Ordinal)));
        Assert.DoesNotContain(plan, line => line.Contains("State_NextAttemptAt", StringComparison.Ordinal) || line.StartsWith("SCAN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_graceful_stop_finds_its_leases_in_the_partial_index_of_held_leases_not_in_the_history()
    {
        await using var db = await MigratedAsync();
        if (TestDatabase.IsPostgres)
        {
            Assert.Equal(""""CREATE INDEX "IX_offset_fulfillments_HeldLeases" ON public.offset_fulfillments USING btree ("LeaseOwner") WHERE ("LeaseOwner" IS NOT NULL)"""",
                await QueryPlan.PostgresIndexAsync(db, OffsetFulfillmentConfiguration.HeldLeases));
            return;
        }

        var plan = await QueryPlan.SqliteAsync(db, db.Fulfillments.Where(FulfillmentLease.OwnedBy("replica-1")));
        Assert.Equal(["SEARCH o USING INDEX IX_offset_fulfillments_HeldLeases (LeaseOwner=?)"], plan);
    }

    private async Task<FulfillmentDbContext> MigratedAsync()
    {
        FulfillmentDbContext db = TestDatabase.IsPostgres
            ? new PostgresFulfillmentDbContext(await TestDatabase.OptionsAsync<PostgresFulfillmentDbContext>(_folder.File("fulfillment.db")))
            : new FulfillmentDbContext(await TestDatabase.OptionsAsync<FulfillmentDbContext>(_folder.File("fulfillment.db")));
        await db.Database.MigrateAsync();
        return db;
    }
}
