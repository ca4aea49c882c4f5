using PuffinOffset.Api.FulfillmentOutcomes;
using PuffinOffset.Fulfillment.Payments;
using PuffinOffset.Fulfillment.Refunds;
using PuffinOffset.Fulfillment.Replays;
using PuffinOffset.Messaging.Contracts;

namespace PuffinOffset.Chaos;

/// <summary>An outbox row the dispatcher marked published: the broker confirmed it.</summary>
public sealed record SentMessage(Guid MessageId, string MessageType, DateTimeOffset DispatchedAt);

/// <summary>An inbox row: <see cref="Consumer"/> applied message <see cref="MessageId"/>.</summary>
public sealed record RecordedMessage(Guid MessageId, string Consumer);

/// <summary>A broken promise about messages: how many, and a few of them (oldest first) to trace.</summary>
public sealed record MessageFinding(string Rule, string Subject, int Count, IReadOnlyList<SentMessage> Examples, IReadOnlyList<Guid> OtherIds);

/// <summary>
/// Exactly-once processing, read from both services' tables at the end of the soak: every message an outbox published
/// was applied by its consumer exactly once (one inbox row for the pair, committed with the consumer's work), and no
/// consumer applied a message that no outbox published. Every consumer is also idempotent by the state it changes, so
/// a message processed twice or lost in the broker leaves the orders right more often than not; this is where such a
/// message shows. Bounds: retention deletes neither table's rows during a soak (<see cref="SoakCluster"/> sets the
/// windows), and a <see cref="PaymentCompleted"/> whose unconfirmed publish reached Fulfillment before a full refund
/// withdrew its row (<c>OutboxWithdrawal</c>) is applied without a row left to match: counted, not reported.
/// </summary>
public static class MessageLedger
{
    /// <summary>The consumer of each message contract; a contract missing here is reported, so that a new one is judged too.</summary>
    public static readonly IReadOnlyDictionary<string, string> ConsumerOf = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [nameof(PaymentCompleted)] = nameof(PaymentCompletedConsumer),
        [nameof(OrderRefunded)] = nameof(OrderRefundedConsumer),
        [nameof(FulfillmentReplayRequested)] = nameof(FulfillmentReplayRequestedConsumer),
        [nameof(OffsetOrderPlaced)] = nameof(OffsetOrderPlacedConsumer),
        [nameof(OffsetOrderFailed)] = nameof(OffsetOrderFailedConsumer),
        [nameof(OrderRefundAcknowledged)] = nameof(OrderRefundAcknowledgedConsumer),
    };

    private const int ExampleCount = 3;

    public static (IReadOnlyList<MessageFinding> Findings, string Counts) Judge(IReadOnlyCollection<SentMessage> sent, IReadOnlyCollection<RecordedMessage> recorded)
    {
        var findings = new List<MessageFinding>();
        var timesRecorded = recorded.GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        foreach (var kind in sent.GroupBy(s => s.MessageType).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (!ConsumerOf.TryGetValue(kind.Key, out var consumer))
            {
                findings.Add(Finding("message of a type the ledger has no consumer for", kind.Key, [.. kind]));
                continue;
            }

            findings.Add(Finding("message published but never applied by its consumer", $"{kind.Key} → {consumer}",
                [.. kind.Where(s => !timesRecorded.ContainsKey(new RecordedMessage(s.MessageId, consumer)))]));
            findings.Add(Finding("message applied more than once by its consumer", $"{kind.Key} → {consumer}",
                [.. kind.Where(s => timesRecorded.GetValueOrDefault(new RecordedMessage(s.MessageId, consumer)) > 1)]));
        }

        var typeOf = sent.GroupBy(s => s.MessageId).ToDictionary(g => g.Key, g => g.First().MessageType);
        var withdrawnPayments = 0;
        foreach (var consumer in recorded.Where(r => !typeOf.ContainsKey(r.MessageId)).GroupBy(r => r.Consumer).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (consumer.Key == nameof(PaymentCompletedConsumer))
            {
                withdrawnPayments = consumer.Count();
                continue;
            }

            findings.Add(new MessageFinding("message applied that no outbox published", consumer.Key, consumer.Count(), [],
                [.. consumer.Select(r => r.MessageId).Take(ExampleCount)]));
        }

        foreach (var wrong in recorded.Where(r => typeOf.TryGetValue(r.MessageId, out var type) && ConsumerOf.GetValueOrDefault(type) is { } expected && expected != r.Consumer)
                     .GroupBy(r => $"{typeOf[r.MessageId]} → {r.Consumer}"))
        {
            findings.Add(new MessageFinding("message applied by a consumer that is not its type's", wrong.Key, wrong.Count(), [],
                [.. wrong.Select(r => r.MessageId).Take(ExampleCount)]));
        }

        var counts = $"{sent.Count} published, {recorded.Count} applied" +
            (withdrawnPayments > 0 ? $" ({withdrawnPayments} PaymentCompleted applied after a refund withdrew its row)" : "");
        return ([.. findings.Where(f => f.Count > 0)], counts);
    }

    private static MessageFinding Finding(string rule, string subject, List<SentMessage> messages) =>
        new(rule, subject, messages.Count, [.. messages.OrderBy(m => m.DispatchedAt).Take(ExampleCount)], []);
}
