using Microsoft.EntityFrameworkCore;
using PuffinOffset.Fulfillment.Purchases;
using PuffinOffset.Fulfillment.Persistence;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Deployment;

/// <summary>
/// The late-order check's periodic query reads the few fulfilments still waiting for it through their partial index,
/// not every placed fulfilment of the history (docs/performance.md, "Cost flat with history").
/// </summary>
public sealed class HotQueryIndexTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_late_order_check_reads_the_partial_index_of_the_fulfilments_still_waiting_for_it()
    {
        await using FulfillmentDbContext db = TestDatabase.IsPostgres
            ? new PostgresFulfillmentDbContext(await TestDatabase.OptionsAsync<PostgresFulfillmentDbContext>(_folder.File("fulfillment.db")))
            : new FulfillmentDbContext(await TestDatabase.OptionsAsync<FulfillmentDbContext>(_folder.File("fulfillment.db")));
        await db.Database.MigrateAsync();
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
}
