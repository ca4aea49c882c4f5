using Npgsql;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests;

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
}
