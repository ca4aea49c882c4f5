using System.Buffers.Binary;

namespace PuffinOffset.HistorySeed;

/// <summary>
/// What two years of trading leave in the services' databases, for <c>orders</c> past orders, kept as the retention
/// passes keep it: every order (emails erased after 400 days), Stripe event records of the last 90 days, inbox records
/// of the last 30 days and published outbox rows of the last 7 (src/Api/Retention, src/Messaging/Persistence). Rows are
/// a function of their index, so a table is written in one pass without holding the history in memory.
/// </summary>
public sealed class HistoryShape(long orders, DateTimeOffset now)
{
    private static readonly TimeSpan History = TimeSpan.FromDays(730);
    private static readonly TimeSpan StripeEventWindow = TimeSpan.FromDays(89);
    private static readonly TimeSpan InboxWindow = TimeSpan.FromDays(29);
    private static readonly TimeSpan OutboxWindow = TimeSpan.FromDays(6);
    private static readonly TimeSpan EmailKept = TimeSpan.FromDays(400);

    // The newest past order is an hour old: the orders a benchmark then creates are all newer.
    private DateTimeOffset Start => now - History - TimeSpan.FromHours(1);

    public long Orders => orders;

    public DateTimeOffset CreatedAt(long i) => Start + History * ((double)i / orders);

    /// <summary>A version 7 id carrying the order's creation time (as <c>Guid.CreateVersion7</c> makes them), unique per index.</summary>
    public Guid OrderId(long i) => VersionSeven(CreatedAt(i), 1, i);

    private static Guid VersionSeven(DateTimeOffset at, byte table, long i)
    {
        Span<byte> bytes = stackalloc byte[16];
        var milliseconds = at.ToUnixTimeMilliseconds();
        for (var b = 0; b < 6; b++)
        {
            bytes[b] = (byte)(milliseconds >> (40 - 8 * b));
        }

        bytes[6] = (byte)(0x70 | table);
        bytes[8] = 0x80;
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], i);
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The order's fate, per mille: 900 fulfilled, 30 refunded, 40 expired, 20 payment failed, 10 fulfilment failed.</summary>
    public string Status(long i) => (Mix(i) % 1000) switch
    {
        < 900 => "Fulfilled",
        < 930 => "Refunded",
        < 970 => "Expired",
        < 990 => "PaymentFailed",
        _ => "FulfillmentFailed",
    };

    private static long Mix(long i) => (long)(((ulong)i * 11400714819323198485UL) >> 40);

    private bool Paid(string status) => status is "Fulfilled" or "Refunded" or "FulfillmentFailed";

    public SeedTable OrdersTable() => new("orders",
    [
        new("Id", ColumnKind.Uuid), new("Status", ColumnKind.Text), new("Tons", ColumnKind.Decimal), new("PortfolioId", ColumnKind.Int),
        new("AmountTotal", ColumnKind.Long), new("AmountRefunded", ColumnKind.Long), new("Disputed", ColumnKind.Bool),
        new("CheckoutSessionId", ColumnKind.Text), new("CustomerEmail", ColumnKind.Text), new("CustomerEmailErasedAt", ColumnKind.Time),
        new("PaymentIntentId", ColumnKind.Text), new("WrenOrderId", ColumnKind.Text), new("IdempotencyKey", ColumnKind.Text),
        new("CreatedAt", ColumnKind.Time), new("UpdatedAt", ColumnKind.Time), new("PaidAt", ColumnKind.Time), new("RefundedAt", ColumnKind.Time),
        new("RefundAcknowledgedAt", ColumnKind.Time), new("PaymentCompletedResends", ColumnKind.Int), new("OrderRefundedResends", ColumnKind.Int),
        new("ReplayRequestResends", ColumnKind.Int), new("PaidInLiveMode", ColumnKind.Bool), new("DryRun", ColumnKind.Bool),
    ], orders, i =>
    {
        var status = Status(i);
        var created = CreatedAt(i);
        var paid = Paid(status);
        var tons = 0.5m + (Mix(i) % 200) / 10m;
        var amount = (long)(tons * 2_100m);
        var erased = created < now - EmailKept;
        var refunded = status == "Refunded" ? created.AddDays(2) : (DateTimeOffset?)null;
        return
        [
            OrderId(i), status, tons, 21, amount, refunded is null ? 0L : amount, false,
            $"cs_test_hist{i:D10}", erased ? null : $"buyer{i}@example.com", erased ? created + EmailKept : null,
            paid ? $"pi_hist{i:D10}" : null, status is "Fulfilled" or "Refunded" ? $"wren_hist{i:D10}" : null, $"idem-hist-{i:D10}",
            created, refunded ?? created.AddMinutes(3), paid ? created.AddMinutes(2) : null, refunded,
            refunded, 0, 0, 0, false, false,
        ];
    });

    /// <summary>One order in 333 was flagged for an operator; nine in ten of those were resolved.</summary>
    public SeedTable AttentionTable() => new("order_attention",
    [
        new("OrderId", ColumnKind.Uuid), new("Kind", ColumnKind.Text), new("Text", ColumnKind.Text), new("RaisedAt", ColumnKind.Time),
        new("ResolvedAt", ColumnKind.Time), new("ResolvedBy", ColumnKind.Text), new("ResolutionNote", ColumnKind.Text),
    ], orders / 333, k =>
    {
        var i = k * 333;
        var raised = CreatedAt(i).AddMinutes(5);
        var resolved = k % 10 != 0;
        return
        [
            OrderId(i), "PartialRefund", "Partially refunded after fulfilment: check the offset.", raised,
            resolved ? raised.AddDays(1) : null, resolved ? "operator@example.com" : null, resolved ? "Checked." : null,
        ];
    });

    /// <summary>Stripe event records of the last 89 days (retention keeps 90), spread over the orders of that window.</summary>
    public SeedTable StripeEventsTable(long count)
    {
        var windowOrders = Math.Max(1, (long)(orders * (StripeEventWindow / History)));
        return new SeedTable("stripe_events",
        [
            new("EventId", ColumnKind.Text), new("Type", ColumnKind.Text), new("ApiVersion", ColumnKind.Text), new("OrderId", ColumnKind.Uuid),
            new("PaymentIntentId", ColumnKind.Text), new("AmountRefunded", ColumnKind.Long), new("FullRefund", ColumnKind.Bool),
            new("Outcome", ColumnKind.Text), new("ReceivedAt", ColumnKind.Time),
        ], count, k =>
        {
            var i = orders - windowOrders + k % windowOrders;
            var (type, outcome, charge) = (k % 10) switch
            {
                < 6 => ("checkout.session.completed", "applied", false),
                6 => ("checkout.session.expired", "applied", false),
                7 => ("charge.succeeded", "ignored", true),
                8 => ("payment_intent.succeeded", "ignored", false),
                _ => ("charge.refunded", "applied", true),
            };
            return
            [
                $"evt_hist{k:D10}", type, "2025-09-30.clover", OrderId(i), charge ? $"pi_hist{i:D10}" : null,
                type == "charge.refunded" ? 2_100L : null, false, outcome, now - StripeEventWindow + StripeEventWindow * ((double)k / count),
            ];
        });
    }

    /// <summary>Published outbox rows of the last 6 days (retention deletes them after 7): one message per order of that window.</summary>
    public SeedTable OutboxTable(string messageType, byte table) => new("outbox_messages",
    [
        new("MessageId", ColumnKind.Uuid), new("MessageType", ColumnKind.Text), new("Payload", ColumnKind.Text), new("CreatedAt", ColumnKind.Time),
        new("DispatchedAt", ColumnKind.Time), new("Attempts", ColumnKind.Int),
    ], WindowCount(OutboxWindow), k =>
    {
        var i = orders - WindowCount(OutboxWindow) + k;
        var created = CreatedAt(i).AddMinutes(2);
        return
        [
            VersionSeven(created, table, k), messageType, $$"""{"orderId":"{{OrderId(i)}}","tons":2.5,"portfolioId":21,"amountTotal":5250}""",
            created, created.AddMilliseconds(40), 0,
        ];
    });

    /// <summary>Inbox records of the last 29 days (retention deletes them after 30): one delivery per order of that window.</summary>
    public SeedTable InboxTable(string consumer, byte table) => new("inbox_messages",
        [new("MessageId", ColumnKind.Uuid), new("Consumer", ColumnKind.Text), new("ProcessedAt", ColumnKind.Time)],
        WindowCount(InboxWindow), k =>
        {
            var i = orders - WindowCount(InboxWindow) + k;
            var processed = CreatedAt(i).AddMinutes(2);
            return [VersionSeven(processed, table, k), consumer, processed];
        });

    private long WindowCount(TimeSpan window) => (long)(orders * (window / History));

    /// <summary>Fulfillment's row for every past order: placed, cancelled (refunded) or failed, none of them due again.</summary>
    public SeedTable FulfillmentsTable() => new("offset_fulfillments",
    [
        new("OrderId", ColumnKind.Uuid), new("State", ColumnKind.Text), new("Tons", ColumnKind.Decimal), new("PortfolioId", ColumnKind.Int),
        new("AmountTotal", ColumnKind.Long), new("AmountCharged", ColumnKind.Long), new("Attempts", ColumnKind.Int),
        new("AwaitsRefundBacklog", ColumnKind.Bool), new("DryRun", ColumnKind.Bool), new("LateOrderCheckPending", ColumnKind.Bool),
        new("OutcomeUnknown", ColumnKind.Bool), new("TransientFailures", ColumnKind.Int), new("Version", ColumnKind.Int),
        new("MatchingWrenOrderIds", ColumnKind.TextList), new("CreatedAt", ColumnKind.Time), new("PaidAt", ColumnKind.Time),
        new("NextAttemptAt", ColumnKind.Time), new("FirstAttemptAt", ColumnKind.Time), new("PlacedAt", ColumnKind.Time),
        new("FailedAt", ColumnKind.Time), new("CancelledAt", ColumnKind.Time), new("UpdatedAt", ColumnKind.Time),
        new("WrenOrderId", ColumnKind.Text), new("LastError", ColumnKind.Text),
    ], orders, i =>
    {
        var status = Status(i);
        var state = status switch { "Refunded" => "Cancelled", "FulfillmentFailed" or "Expired" or "PaymentFailed" => "Failed", _ => "Placed" };
        var paid = CreatedAt(i).AddMinutes(2);
        var done = paid.AddSeconds(1);
        var tons = 0.5m + (Mix(i) % 200) / 10m;
        return
        [
            OrderId(i), state, tons, 21, (long)(tons * 2_100m), state == "Placed" ? (long)(tons * 1_800m) : null, 1,
            false, false, false, false, 0, 3, Array.Empty<string>(), paid, paid,
            paid, paid, state == "Placed" ? done : null, state == "Failed" ? done : null, state == "Cancelled" ? done : null, done,
            state == "Placed" ? $"wren_hist{i:D10}" : null, state == "Failed" ? "Wren answered 422: portfolio sold out" : null,
        ];
    });
}
