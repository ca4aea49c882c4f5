using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.Api.FulfillmentOutcomes;
using PuffinOffset.Api.Orders;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Messaging;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>The <c>_error</c> / <c>_skipped</c> queues from the console, over the real broker: listed, moved back, discarded.</summary>
public sealed class DeadLetterTests : AdminTestBase
{
    // An upper bound, not a pause: generous for a machine running several test processes on two cores.
    private static readonly TimeSpan Delivery = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_message_that_faulted_into_its_error_queue_is_listed_with_its_exception_moved_back_and_consumed_once()
    {
        var orderId = await OrderAsync(OrderStatus.Paid);
        var messageId = NewId.NextGuid();
        // The Api is away while a stand-in for its consumer fails on the outcome, as a consumer whose retries are spent does.
        await Api.DisposeAsync();
        await FaultAsync<OffsetOrderPlaced>("offset-order-placed", bus => bus.Publish(
            new OffsetOrderPlaced(orderId, "oo_TEST_dead", 1m, 21, 40_171, DryRun: false, DateTimeOffset.UtcNow), context => context.MessageId = messageId));
        Api = await StartApiAsync(Configure);
        using var admin = AdminClient();

        var listed = await admin.GetFromJsonAsync<JsonElement>("/api/admin/dead-letters");
        var queue = Assert.Single(listed.EnumerateArray(), q => q.GetProperty("queue").GetString() == "offset-order-placed_error");
        Assert.Equal(("api", "offset-order-placed", "error", 1L),
            (queue.GetProperty("service").GetString(), queue.GetProperty("sourceQueue").GetString(), queue.GetProperty("kind").GetString(), queue.GetProperty("messages").GetInt64()));
        var oldest = queue.GetProperty("oldest");
        Assert.Equal(("OffsetOrderPlaced", orderId, messageId.ToString(), "System.InvalidOperationException", "The stand-in consumer failed."),
            (oldest.GetProperty("messageType").GetString(), oldest.GetProperty("orderId").GetGuid(), oldest.GetProperty("messageId").GetString(),
                oldest.GetProperty("exceptionType").GetString(), oldest.GetProperty("exceptionMessage").GetString()));
        Assert.Equal(1, await DepthAsync("offset-order-placed_error")); // looking took nothing away

        using var moved = await admin.PostAsJsonAsync("/api/admin/dead-letters/offset-order-placed_error/move-back", new { requestedBy = "Ada on call" });

        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        var result = await moved.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("move_back", 1L, 1), (result.GetProperty("action").GetString(), result.GetProperty("found").GetInt64(), result.GetProperty("handled").GetInt32()));
        await Eventually.TrueAsync(async () => (await OrderAsync(orderId)).Status == OrderStatus.Fulfilled, Delivery, "the moved message is consumed");
        Assert.Equal("oo_TEST_dead", (await OrderAsync(orderId)).WrenOrderId);
        await Eventually.TrueAsync(async () => await DepthAsync("offset-order-placed_error") == 0 && await DepthAsync("offset-order-placed") == 0,
            Delivery, "both queues are empty");
        Assert.Equal(1, await Api.WithDbAsync(db => db.InboxMessages.CountAsync(m => m.MessageId == messageId && m.Consumer == nameof(OffsetOrderPlacedConsumer))));

        var detail = await admin.GetFromJsonAsync<JsonElement>($"/api/admin/orders/{orderId}");
        var entry = Assert.Single(detail.GetProperty("history").EnumerateArray());
        Assert.Equal(("dead_letter_moved_back", "admin"), (entry.GetProperty("kind").GetString(), entry.GetProperty("requestedBy").GetString()));
        Assert.Contains("offset-order-placed_error", entry.GetProperty("note").GetString());
        Assert.Contains("System.InvalidOperationException: The stand-in consumer failed.", entry.GetProperty("note").GetString());
    }

    [Fact]
    public async Task Discarding_empties_the_queue_sends_nothing_back_and_records_the_operator()
    {
        var orderId = await OrderAsync(OrderStatus.Paid);
        await using (var bus = await PaymentCompletedListener.StartAsync(BrokerUri))
        {
            // As MassTransit moves a message whose retries are spent.
            var errors = await bus.Publisher.GetSendEndpoint(new Uri("queue:offset-order-failed_error"));
            await errors.Send(new OffsetOrderFailed(orderId, "Wren refused the order (402).", 1, DateTimeOffset.UtcNow));
            await errors.Send(new OffsetOrderFailed(orderId, "Wren refused the order (402).", 2, DateTimeOffset.UtcNow));
        }

        await Eventually.TrueAsync(async () => await DepthAsync("offset-order-failed_error") == 2, Delivery, "both messages wait in the error queue");

        using var discarded = await Admin.PostAsJsonAsync("/api/admin/dead-letters/offset-order-failed_error/discard",
            new { requestedBy = "Grace", note = "Wren was topped up; replayed instead" });

        Assert.Equal(HttpStatusCode.OK, discarded.StatusCode);
        var result = await discarded.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("discard", 2L, 2, orderId), (result.GetProperty("action").GetString(), result.GetProperty("found").GetInt64(),
            result.GetProperty("handled").GetInt32(), Assert.Single(result.GetProperty("orderIds").EnumerateArray()).GetGuid()));
        var listed = await Admin.GetFromJsonAsync<JsonElement>("/api/admin/dead-letters");
        var queue = Assert.Single(listed.EnumerateArray(), q => q.GetProperty("queue").GetString() == "offset-order-failed_error");
        Assert.Equal((0L, JsonValueKind.Null), (queue.GetProperty("messages").GetInt64(), queue.GetProperty("oldest").ValueKind));
        Assert.Equal(0, await DepthAsync("offset-order-failed"));
        Assert.Equal(OrderStatus.Paid, (await OrderAsync(orderId)).Status);
        var entry = await Api.WithDbAsync(db => db.OrderHistory.AsNoTracking().SingleAsync(e => e.OrderId == orderId));
        Assert.Equal((OrderHistoryKind.DeadLetterDiscarded, "admin"), (entry.Kind, entry.RequestedBy));
        Assert.EndsWith("Wren was topped up; replayed instead", entry.Note);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key")]
    public async Task Without_the_admin_key_dead_letters_are_neither_shown_nor_touched(string? token)
    {
        await using (var bus = await PaymentCompletedListener.StartAsync(BrokerUri))
        {
            var errors = await bus.Publisher.GetSendEndpoint(new Uri("queue:offset-order-placed_error"));
            await errors.Send(new OffsetOrderPlaced(Guid.NewGuid(), "oo_TEST_kept", 1m, 21, 40_171, DryRun: false, DateTimeOffset.UtcNow));
        }

        await Eventually.TrueAsync(async () => await DepthAsync("offset-order-placed_error") == 1, Delivery, "the message waits in the error queue");
        using var client = Api.CreateClient();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        await ProblemAssert.IsSafeProblemAsync(await client.GetAsync("/api/admin/dead-letters"), 401);
        foreach (var action in new[] { "move-back", "discard" })
        {
            using var response = await client.PostAsJsonAsync($"/api/admin/dead-letters/offset-order-placed_error/{action}", new { requestedBy = "intruder" });
            await ProblemAssert.IsSafeProblemAsync(response, 401);
        }

        Assert.Equal(1, await DepthAsync("offset-order-placed_error"));
        Assert.Equal(0, await DepthAsync("offset-order-placed"));
        Assert.False(await Api.WithDbAsync(db => db.OrderHistory.AnyAsync()));
    }

    [Fact]
    public async Task Only_the_dead_letter_queues_of_this_system_can_be_emptied()
    {
        using var response = await Admin.PostAsync("/api/admin/dead-letters/payment-completed/discard", null);

        await ProblemAssert.IsSafeProblemAsync(response, 404);
        var listed = await Admin.GetFromJsonAsync<JsonElement>("/api/admin/dead-letters");
        var names = listed.EnumerateArray().Select(q => q.GetProperty("queue").GetString()).ToList();
        // The Api's own endpoints, as its error-queue gauge knows them, are among those the console handles.
        var apiErrorQueues = Api.Services.GetRequiredService<ErrorQueueMonitor>().ErrorQueues;
        Assert.Equal(apiErrorQueues.Order(), ServiceQueues.ByService[ServiceQueues.Api].Select(q => q + "_error").Order());
        Assert.All(apiErrorQueues, queue => Assert.Contains(queue, names));
        Assert.Contains("payment-completed_error", names);
        Assert.Contains("payment-completed_skipped", names);
    }

    private HttpClient AdminClient()
    {
        var client = Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return client;
    }

    /// <summary>
    /// Messages ready in <paramref name="queue"/> as the broker counts them now (a passive declare, as the console does);
    /// the management API's figures are sampled and lagged by minutes on a node busy with hundreds of test vhosts.
    /// </summary>
    private async Task<long> DepthAsync(string queue) => (await QueueAsync(queue)).Messages;

    /// <summary>Messages ready in <paramref name="queue"/> and consumers attached to it, as the broker counts them now.</summary>
    private async Task<(long Messages, long Consumers)> QueueAsync(string queue)
    {
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(BrokerUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            var declared = await channel.QueueDeclarePassiveAsync(queue);
            return (declared.MessageCount, declared.ConsumerCount);
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return (0, 0); // not declared yet
        }
    }

    /// <summary>
    /// A consumer on <paramref name="queue"/> that throws without retrying: MassTransit moves what <paramref name="publish"/>
    /// sends to <c>&lt;queue&gt;_error</c> with the fault headers it always writes. Returns once the message is there.
    /// </summary>
    private async Task FaultAsync<T>(string queue, Func<IBus, Task> publish) where T : class
    {
        // Only the stand-in may take the message: the stopped Api's consumer, were it still counted by the broker,
        // would be handed it as often as not. (Its bus is stopped even when the Api is stopped while still connecting:
        // BusStopAfterStart; before that, the consumer stayed attached in two of four loaded runs.)
        await Eventually.TrueAsync(async () => (await QueueAsync(queue)).Consumers == 0, Delivery, $"no consumer is left on {queue}");
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(new Uri(BrokerUri));
            rabbit.ReceiveEndpoint(queue, endpoint => endpoint.Handler<T>(_ => throw new InvalidOperationException("The stand-in consumer failed.")));
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(timeout.Token);
        try
        {
            await publish(bus);
            try
            {
                await Eventually.TrueAsync(async () => await DepthAsync($"{queue}_error") == 1, Delivery, $"the message faults into {queue}_error");
            }
            catch (TimeoutException notFaulted)
            {
                // Where the message is instead, for the next time this fails on a loaded machine.
                var (ready, consumers) = await QueueAsync(queue);
                throw new TimeoutException($"{notFaulted.Message} {queue}: {ready} ready, {consumers} consumer(s); {queue}_error: {await DepthAsync($"{queue}_error")} ready", notFaulted);
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
