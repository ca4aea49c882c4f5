using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using PuffinOffset.Fulfillment.Observability;
using PuffinOffset.Fulfillment.Tests.Support;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests.Purchases;

/// <summary>Several Fulfillment replicas on one PostgreSQL database and one queue (always PostgreSQL).</summary>
public sealed class ReplicaTests : FulfillmentScenario
{
    private async Task<Action<Dictionary<string, string?>>> SharedPostgresAsync() =>
        OnDatabase(await (await PostgresServer.Shared).CreateDatabaseAsync("fulfillment"));

    private static Action<Dictionary<string, string?>> OnDatabase(string database) => settings =>
    {
        settings["DATABASE_PROVIDER"] = "postgres";
        settings["ConnectionStrings:fulfillment"] = database;
    };

    private static async Task<string?> LeaseOwnerAsync(string database, Guid orderId)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT "LeaseOwner" FROM offset_fulfillments WHERE "OrderId" = @order""", connection);
        command.Parameters.AddWithValue("order", orderId);
        return await command.ExecuteScalarAsync() as string;
    }

    [Fact]
    public async Task Two_replicas_with_slow_Wren_answers_place_each_order_once()
    {
        var sharedDatabase = await SharedPostgresAsync();
        await using var first = await StartFulfillmentAsync(sharedDatabase);
        await using var second = await StartFulfillmentAsync(sharedDatabase);
        // Slow POSTs: without leases the other replica took an in-flight Attempting row for an interrupted
        // one, found nothing at Wren yet and posted the order a second time.
        Wren.State.DelayNextPosts(1000, TimeSpan.FromMilliseconds(400));
        var orders = Enumerable.Range(0, 12).Select(_ => Guid.NewGuid()).ToList();

        foreach (var orderId in orders)
        {
            // Twice each, with different message ids (a resend): both replicas may get one.
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
            await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        }

        await Eventually.TrueAsync(() => orders.All(id => Api.Placed.Any(p => p.OrderId == id)), TimeSpan.FromSeconds(120), "every order is placed");
        Assert.Equal(orders.Count, Wren.State.Orders.Count);
        Assert.Equal(orders.Count, Wren.State.ReceivedPosts.Count);
    }

    [Fact]
    public async Task A_replica_stopped_mid_POST_leaves_its_fulfilment_to_another_and_Wren_gets_one_order()
    {
        var sharedDatabase = await SharedPostgresAsync();
        var stopping = await StartFulfillmentAsync(sharedDatabase);
        Wren.State.DelayNextPosts(1, TimeSpan.FromSeconds(3));
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(() => Wren.State.ReceivedPosts.Count == 1, TimeSpan.FromSeconds(30), "the POST is in flight");

        await stopping.DisposeAsync(); // SIGTERM: the host stops while holding the lease mid-POST
        await using var successor = await StartFulfillmentAsync(sharedDatabase);

        await PlacedAsync(orderId);
        Assert.Single(Wren.State.Orders);
        // The stopping replica may hand its outcome to the broker as it stops, before marking the outbox row:
        // the successor then publishes that row again (at least once; the Api's inbox drops the copy by its
        // message id). Every copy names the one Wren order.
        Assert.All(Api.Placed, placed => Assert.Equal(Wren.State.Orders.Single().Id, placed.WrenOrderId));
    }

    [Fact]
    public async Task A_replica_stopped_mid_POST_hands_its_lease_back_as_it_stops()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync("fulfillment");
        var stopping = await StartFulfillmentAsync(OnDatabase(database));
        var post = Wren.State.HoldNextPost();
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await Eventually.TrueAsync(() => Wren.State.PostsInFlight == 1, TimeSpan.FromSeconds(60), "the POST is in flight");
        Assert.NotNull(await LeaseOwnerAsync(database, orderId));

        await stopping.DisposeAsync(); // graceful stop: the POST is cancelled mid-flight

        // Handed back at once, so other replicas need not wait for it to run out (11 s here, 2 min by default).
        Assert.Null(await LeaseOwnerAsync(database, orderId));
        post.SetResult();
    }

    /// <summary>A lease short enough for a test to outlast it, still more than twice the Wren timeout.</summary>
    private static Action<Dictionary<string, string?>> ShortLease(string database) => settings =>
    {
        OnDatabase(database)(settings);
        settings["Fulfillment:WrenTimeout"] = "00:00:02";
        settings["Fulfillment:LeaseDuration"] = "00:00:05";
    };

    [Fact]
    public async Task A_replica_stalled_past_its_lease_before_the_fence_does_not_POST_after_another_took_over()
    {
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync("fulfillment");
        var gate = new FenceGate(afterTheCheck: false);
        var stalledLogs = new LogRecorder(LogLevel.Warning);
        await using var stalled = await StartFulfillmentAsync(ShortLease(database),
            s => s.AddSingleton<IInterceptor>(gate).AddLogging(l => l.AddProvider(stalledLogs)));
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(60)); // claimed, Attempting, and frozen before its POST

        // The lease runs out; another replica takes the row over, finds nothing at Wren, and buys the offset.
        await using var successor = await StartFulfillmentAsync(ShortLease(database));
        await PlacedAsync(orderId);
        gate.Open();

        await Eventually.TrueAsync(() => stalledLogs.Entries.Any(e => e.Message.Contains("not posting", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30), "the stalled replica reaches its fence and gives up");
        Assert.Single(Wren.State.Orders);
        Assert.Single(Wren.State.ReceivedPosts);
    }

    [Fact]
    public async Task A_replica_stalled_after_the_fence_creates_a_second_Wren_order_that_is_reported_as_a_duplicate()
    {
        using var duplicates = new MeasurementCounter(FulfillmentTelemetry.Name, "puffin.wren.duplicate_orders_detected");
        var database = await (await PostgresServer.Shared).CreateDatabaseAsync("fulfillment");
        var gate = new FenceGate(afterTheCheck: true);
        await using var stalled = await StartFulfillmentAsync(ShortLease(database), s => s.AddSingleton<IInterceptor>(gate));
        var orderId = Guid.NewGuid();
        await Api.PublishAsync(TestBus.Payment(orderId), Guid.NewGuid());
        await gate.Reached.WaitAsync(TimeSpan.FromSeconds(60)); // the fence passed; frozen before the request leaves

        await using var successor = await StartFulfillmentAsync(ShortLease(database));
        await PlacedAsync(orderId);
        var first = Assert.Single(Wren.State.Orders);
        gate.Open(); // the stalled replica's POST goes out: nothing can stop it now

        await Eventually.TrueAsync(() => Api.Placed.Any(p => p.DuplicateWrenOrderIds is { Count: > 0 }), TimeSpan.FromSeconds(30),
            "the second Wren order reaches the Api as a duplicate");
        Assert.Equal(2, Wren.State.Orders.Count);
        var second = Wren.State.Orders.Single(o => o.Id != first.Id);
        var reported = Api.Placed.Single(p => p.DuplicateWrenOrderIds is { Count: > 0 });
        Assert.Equal(first.Id, reported.WrenOrderId);
        Assert.Equal([second.Id], reported.DuplicateWrenOrderIds!);
        Assert.Equal(1, duplicates.Value);
        var row = await successor.FulfillmentAsync(orderId);
        Assert.Equal([first.Id, second.Id], row!.MatchingWrenOrderIds);
    }
}
