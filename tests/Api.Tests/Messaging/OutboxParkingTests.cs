using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using PuffinOffset.Api.Tests.Support;
using PuffinOffset.Messaging.Contracts;
using PuffinOffset.Messaging.Outbox;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Api.Tests.Messaging;

/// <summary>A row that can never be published is parked, the rows behind it flow, and an operator re-queues it.</summary>
public sealed class OutboxParkingTests : ApiTestBase
{
    private const string AdminKey = "admin-TESTONLY-parking-0123456789abcdef";
    private static readonly TimeSpan Delivery = Eventually.DefaultTimeout;

    private sealed record ParkedView(Guid Id, string MessageType, int Attempts, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset ParkedAt);

    protected override void Configure(Dictionary<string, string?> settings) => settings["ADMIN_API_KEY"] = AdminKey;

    [Fact]
    public async Task A_poison_row_is_parked_the_good_row_behind_it_is_consumed_and_a_requeue_publishes_it()
    {
        await using var listener = await PaymentCompletedListener.StartAsync(BrokerUri);
        var poisonId = NewId.NextGuid();
        var goodId = NewId.NextGuid();

        // As after a rollback: a row of a type this version does not know, committed before a good one.
        await Api.WithDbAsync(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            var now = DateTimeOffset.UtcNow;
            db.OutboxMessages.Add(OutboxMessage.Create(Payment(), poisonId, now));
            await db.SaveChangesAsync();
            await db.Database.ExecuteSqlAsync($"""UPDATE outbox_messages SET "MessageType" = 'PaymentCompletedV2' WHERE "MessageId" = {poisonId}""");
            db.OutboxMessages.Add(OutboxMessage.Create(Payment(), goodId, now));
            await db.SaveChangesAsync();
            await transaction.CommitAsync();
            return 0;
        });

        await Eventually.TrueAsync(() => listener.Received.Any(r => r.MessageId == goodId), Delivery, "the good row behind the poison one is consumed");
        var parked = await Eventually.ValueAsync(ParkedAsync, rows => rows.Count == 1, Delivery, "the poison row is listed as parked");
        var row = parked[0];
        Assert.Equal((poisonId, "PaymentCompletedV2", 1), (row.Id, row.MessageType, row.Attempts));
        Assert.Contains("Unknown message type", row.LastError, StringComparison.Ordinal);

        // The fix is deployed (the type is known again); the operator re-queues the row.
        await Api.WithDbAsync(db => db.Database.ExecuteSqlAsync($"""UPDATE outbox_messages SET "MessageType" = 'PaymentCompleted' WHERE "MessageId" = {poisonId}"""));
        using (var requeue = await Client.SendAsync(Admin(HttpMethod.Post, $"/api/admin/outbox/parked/{poisonId}/requeue")))
        {
            Assert.Equal(HttpStatusCode.NoContent, requeue.StatusCode);
        }

        await Eventually.TrueAsync(() => listener.Received.Any(r => r.MessageId == poisonId), Delivery, "the re-queued row is published");
        Assert.Empty(await ParkedAsync());
        using var again = await Client.SendAsync(Admin(HttpMethod.Post, $"/api/admin/outbox/parked/{poisonId}/requeue"));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    private static PaymentCompleted Payment() =>
        new(Guid.NewGuid(), "cs_test_parking", null, 1m, 21, 40_171, "usd", null, DateTimeOffset.UtcNow);

    private async Task<List<ParkedView>> ParkedAsync()
    {
        using var response = await Client.SendAsync(Admin(HttpMethod.Get, "/api/admin/outbox/parked"));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<List<ParkedView>>())!;
    }

    private static HttpRequestMessage Admin(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return request;
    }
}
