using PuffinOffset.Chaos;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Replica.Tests.Chaos;

/// <summary>
/// The soak's message ledger on rows made up here: each rule that reads the outboxes and inboxes of both services. The
/// soak itself proves it end to end by mutation (docs/scaling.md, "Mutation proof": the inbox turned off).
/// </summary>
public sealed class MessageLedgerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private static SentMessage Sent(string type, int second = 0) => new(Guid.NewGuid(), type, Start.AddSeconds(second));

    [Fact]
    public void Every_published_message_applied_once_by_its_consumer_is_clean()
    {
        var payment = Sent(nameof(PaymentCompleted));
        var placed = Sent(nameof(OffsetOrderPlaced));

        var (findings, counts) = MessageLedger.Judge([payment, placed],
            [new(payment.MessageId, "PaymentCompletedConsumer"), new(placed.MessageId, "OffsetOrderPlacedConsumer")]);

        Assert.Empty(findings);
        Assert.Equal("2 published, 2 applied", counts);
    }

    [Fact]
    public void A_published_message_its_consumer_has_no_inbox_row_for_is_reported_with_the_oldest_examples()
    {
        var messages = Enumerable.Range(0, 5).Select(i => Sent(nameof(OrderRefunded), second: 10 - i)).ToList();

        var (findings, _) = MessageLedger.Judge(messages, [new(messages[0].MessageId, "OrderRefundedConsumer")]);

        var finding = Assert.Single(findings);
        Assert.Equal("message published but never applied by its consumer", finding.Rule);
        Assert.Equal("OrderRefunded → OrderRefundedConsumer", finding.Subject);
        Assert.Equal(4, finding.Count);
        Assert.Equal(new[] { messages[4], messages[3], messages[2] }, finding.Examples);
    }

    [Fact]
    public void A_message_applied_twice_by_its_consumer_is_reported()
    {
        var acknowledged = Sent(nameof(OrderRefundAcknowledged));
        var applied = new RecordedMessage(acknowledged.MessageId, "OrderRefundAcknowledgedConsumer");

        var (findings, _) = MessageLedger.Judge([acknowledged], [applied, applied]);

        Assert.Equal("message applied more than once by its consumer", Assert.Single(findings).Rule);
    }

    [Fact]
    public void A_message_applied_that_no_outbox_published_is_reported_but_a_withdrawn_payment_is_only_counted()
    {
        var invented = Guid.NewGuid();

        var (findings, counts) = MessageLedger.Judge([],
            [new(invented, "OffsetOrderFailedConsumer"), new(Guid.NewGuid(), "PaymentCompletedConsumer")]);

        var finding = Assert.Single(findings);
        Assert.Equal("message applied that no outbox published", finding.Rule);
        Assert.Equal(new[] { invented }, finding.OtherIds);
        Assert.Equal("0 published, 2 applied (1 PaymentCompleted applied after a refund withdrew its row)", counts);
    }

    [Fact]
    public void A_message_applied_by_another_consumer_than_its_types_is_reported()
    {
        var replay = Sent(nameof(FulfillmentReplayRequested));

        var (findings, _) = MessageLedger.Judge([replay],
            [new(replay.MessageId, "FulfillmentReplayRequestedConsumer"), new(replay.MessageId, "PaymentCompletedConsumer")]);

        Assert.Equal("message applied by a consumer that is not its type's", Assert.Single(findings).Rule);
    }

    [Fact]
    public void A_message_type_the_ledger_knows_no_consumer_for_is_reported()
    {
        var (findings, _) = MessageLedger.Judge([Sent("OffsetOrderRenamed")], []);

        Assert.Equal("message of a type the ledger has no consumer for", Assert.Single(findings).Rule);
    }

    [Fact]
    public void Every_message_contract_has_its_consumer_in_the_ledger()
    {
        var contracts = typeof(PaymentCompleted).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(PaymentCompleted).Namespace && t is { IsClass: true, IsAbstract: false, IsNested: false })
            .Select(t => t.Name);

        Assert.Equal(contracts.Order(StringComparer.Ordinal), MessageLedger.ConsumerOf.Keys.Order(StringComparer.Ordinal));
    }
}
