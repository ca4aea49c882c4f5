using Microsoft.Extensions.DependencyInjection;
using PuffinOffset.StripeSandbox.HostedCheckout;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.Chaos;

/// <summary>Broken promises: which rules, which order (null for the system as a whole), and what shows it.</summary>
public sealed record Violation(IReadOnlyList<string> Rules, Guid? OrderId, string Detail)
{
    public Violation(string rule, Guid? orderId, string detail)
        : this([rule], orderId, detail)
    {
    }
}

/// <summary>What Stripe's sandbox says happened to one order's money.</summary>
public sealed record StripeTruth(string SessionStatus, string PaymentStatus, long AmountTotal, long AmountRefunded, bool RefundedInFull, string? Dispute)
{
    public bool Paid => PaymentStatus == "paid";

    public override string ToString() =>
        $"session {SessionStatus}/{PaymentStatus}, {AmountTotal} cents" +
        (AmountRefunded > 0 ? $", refunded {AmountRefunded}{(RefundedInFull ? " (in full)" : "")}" : "") +
        (Dispute is null ? "" : $", dispute {Dispute}");
}

/// <summary>
/// The end of the soak: for every order, what Stripe's sandbox says happened to the money, what the Wren sandbox says
/// was bought and what the Api says, judged by the product's promises —
/// paid and not refunded in full → exactly one Wren order and <c>fulfilled</c> (a partial refund or a dispute: also an
/// attention); refunded in full before the Api could stop the purchase → zero Wren orders and <c>refunded</c>; bought
/// before the refund reached the Api → one Wren order, <c>refunded</c> and an attention; never a purchase after the Api
/// accepted the full refund; not paid → zero Wren orders; a second Wren order for one order reported by an attention;
/// no paid order without an outcome; never a second Wren order from a replica stopped before its lease fence. Then the
/// system as a whole: every published message applied exactly once (<see cref="MessageLedger"/>), no message in any
/// queue (<c>_error</c> and <c>_skipped</c> included), no unpublished or parked outbox row, no webhook refused, no
/// Idempotency-Key answered with two orders, no Wren order for an order nobody placed.
/// </summary>
public sealed class Ledger(SoakCluster cluster, SoakLog log, Customers customers, WebhookCourier courier, IReadOnlyList<StalledClaim> stalledClaims)
{
    private readonly List<Violation> _violations = [];

    /// <summary>Wren POSTs that stored an order (answered 200, or dropped after storing), by note: read once, not once per order.</summary>
    private Dictionary<string, List<DateTimeOffset>> _storingPostsByNote = [];

    public IReadOnlyList<Violation> Violations => _violations;

    public async Task<LedgerReport> JudgeAsync()
    {
        var databases = new SoakDatabases(cluster);
        var apiOrders = await databases.OrdersAsync();
        var payments = cluster.Stripe.Services.GetRequiredService<PaidPayments>();
        var wrenOrders = cluster.Wren.State.Orders;
        var wrenByNote = wrenOrders.GroupBy(o => o.Note ?? "").ToDictionary(g => g.Key, g => g.OrderBy(o => o.CreatedAt).ToList());
        _storingPostsByNote = cluster.Wren.State.ReceivedPosts.Where(p => p.Answer is 200 or 0)
            .GroupBy(p => p.Note ?? "").ToDictionary(g => g.Key, g => g.Select(p => p.At).ToList());
        var stories = customers.Stories.OrderBy(s => s.Steps.FirstOrDefault().At).ToList();
        var report = new LedgerReport();

        foreach (var story in stories)
        {
            var session = cluster.Stripe.Sessions.Find(story.SessionId);
            var charge = payments.StateOf(story.SessionId);
            var stripe = new StripeTruth(session?["status"] as string ?? "missing", session?["payment_status"] as string ?? "missing",
                Convert.ToInt64(session?["amount_total"] ?? 0L, System.Globalization.CultureInfo.InvariantCulture),
                charge?.AmountRefunded ?? 0, charge?.Refunded ?? false, charge?.DisputeStatus);
            var wren = wrenByNote.GetValueOrDefault($"puffin-offset order {story.OrderId}") ?? [];
            var api = apiOrders.GetValueOrDefault(story.OrderId);
            report.Count(stripe, wren.Count, api);
            // One entry per order, however many of its promises broke, so that each order's story is printed once.
            var broken = Judge(story, stripe, wren, api).ToList();
            if (broken.Count > 0)
            {
                _violations.Add(new Violation([.. broken.Select(b => b.Rule)], story.OrderId,
                    Describe(story, stripe, wren, api, string.Join("\n      ", broken.Select(b => $"{b.Rule}: {b.Detail}")))));
            }
        }

        var known = stories.Select(s => $"puffin-offset order {s.OrderId}").ToHashSet();
        foreach (var (note, orders) in wrenByNote.Where(w => !known.Contains(w.Key)))
        {
            _violations.Add(new Violation("Wren order for no order of the soak", null, $"note '{note}': {string.Join(", ", orders.Select(o => o.Id))}"));
        }

        await JudgeSystemAsync(databases, report);
        report.WrenOrders = wrenOrders.Count;
        report.WrenPosts = cluster.Wren.State.PostsStarted;
        report.WrenLookups = cluster.Wren.State.LookupsReceived;
        report.Fulfillments = await databases.FulfillmentStatesAsync();
        report.Events = courier.Deliveries.Count;
        report.Dropped = courier.Deliveries.Count(d => d.Dropped);
        report.Twice = courier.Deliveries.Count(d => d.Accepted.Count > 1);
        report.Late = courier.Deliveries.Count(d => d.FirstAcceptedAt - d.RaisedAt > TimeSpan.FromSeconds(1));
        report.CheckoutsGivenUp = customers.CheckoutsGivenUp;
        var stalled = stalledClaims.SelectMany(s => s.Orders).ToHashSet();
        report.StalledClaims = $"{stalledClaims.Count} claim(s) held with their replica stopped before its fence: {stalled.Count} attempt(s), " +
            $"{stalled.Count(o => wrenByNote.GetValueOrDefault($"puffin-offset order {o}")?.Count > 1)} bought twice";
        return report;
    }

    private IEnumerable<(string Rule, string Detail)> Judge(OrderStory story, StripeTruth stripe, List<StoredOrder> wren, ApiOrder? api)
    {
        if (api is null)
        {
            yield return ("order missing from the Api's database", "the Api answered create-session with this order id");
            yield break;
        }

        // A second order can be stored after every lookup missed it (Wren finishing a POST nobody waits for): the
        // promise is then that it is reported, not that it never happens.
        if (wren.Count > 1 && api.Attention?.Contains("two Wren orders", StringComparison.Ordinal) != true)
        {
            yield return ("second Wren order for one order not reported", $"{wren.Count} Wren orders; the Api raised no attention for them");
        }

        // The fence's promise: a replica that stalled past its lease before reading it sends no POST (the attempt is
        // someone else's by then). Reported even with an attention: this second order should not exist.
        if (wren.Count > 1 && stalledClaims.FirstOrDefault(s => s.Orders.Contains(story.OrderId)) is { } stall)
        {
            yield return ("bought again by a replica stalled before its lease fence",
                $"{stall.Replica} was stopped at {SoakLog.Format(stall.At)} before it read the commit of its claim; Wren holds {wren.Count} orders");
        }

        var refundEvents = courier.For(story.SessionId).Where(d => d.Event.Type == "charge.refunded").ToList();
        if (!stripe.Paid)
        {
            if (wren.Count > 0)
            {
                yield return ("offset bought for an order Stripe never took payment for", "");
            }

            if (api.Status is "Paid" or "Fulfilled")
            {
                yield return ("the Api says paid, Stripe took no payment", "");
            }

            yield break;
        }

        if (stripe.RefundedInFull)
        {
            if (api.Status != "Refunded")
            {
                yield return ("refunded in full at Stripe, not refunded in the Api", RefundPath(refundEvents));
            }

            // The Api can stop a purchase only once it has accepted the refund's webhook, and Fulfillment hears of it a
            // message later: a POST that reached Wren well after that should never have been sent.
            var knewAt = refundEvents.Where(d => d.Event.Json.Contains("\"refunded\": true", StringComparison.Ordinal))
                .Select(d => d.FirstAcceptedAt).Min();
            if (wren.Count > 0 && knewAt is { } accepted && PurchasedAt(story, wren[0]) is { } purchasedAt && purchasedAt > accepted + RefundGrace)
            {
                yield return ("offset bought after the Api accepted the full refund",
                    $"the POST that Wren stored as {wren[0].Id} reached Wren at {SoakLog.Format(purchasedAt)}, {(purchasedAt - accepted).TotalSeconds:0.0} s after the Api accepted the refund at {SoakLog.Format(accepted)}");
            }

            if (wren.Count > 0 && api.Attention?.Contains("bought for a refunded payment", StringComparison.Ordinal) != true)
            {
                yield return ("offset bought for a refunded payment without an attention", RefundPath(refundEvents));
            }

            yield break;
        }

        if (wren.Count == 0)
        {
            yield return ("paid, not refunded in full, and no offset bought", $"the Api says {api.Status}");
        }
        else if (api.Status != "Fulfilled" || !wren.Any(w => w.Id == api.WrenOrderId))
        {
            yield return ("paid and bought, but the Api does not say fulfilled with that Wren order", $"the Api says {api.Status}, Wren order {api.WrenOrderId ?? "none"}");
        }

        if (stripe.AmountRefunded > 0 && (api.AmountRefunded != stripe.AmountRefunded || api.Attention?.Contains("partially refunded", StringComparison.Ordinal) != true))
        {
            yield return ("partial refund not recorded with an attention", $"the Api has {api.AmountRefunded} cents refunded; {RefundPath(refundEvents)}");
        }

        if (stripe.Dispute is not null && api.Attention?.Contains("dispute", StringComparison.Ordinal) != true)
        {
            yield return ("dispute without an attention", string.Join("; ", courier.For(story.SessionId).Where(d => d.Event.Type.StartsWith("charge.dispute", StringComparison.Ordinal))));
        }
    }

    /// <summary>How long OrderRefunded may take from the Api's commit to Fulfillment (outbox poll, broker, inbox) before a POST is late.</summary>
    private static readonly TimeSpan RefundGrace = TimeSpan.FromSeconds(10);

    /// <summary>When the POST that stored <paramref name="stored"/> reached Wren (a slow one is stored later than that).</summary>
    private TimeSpan? PurchasedAt(OrderStory story, StoredOrder stored) =>
        _storingPostsByNote.GetValueOrDefault($"puffin-offset order {story.OrderId}")?
            .Where(at => at <= stored.CreatedAt).Select(at => (TimeSpan?)log.At(at)).Max();

    private static string RefundPath(List<EventDelivery> refundEvents) => refundEvents.Count == 0
        ? "no charge.refunded event was raised"
        : string.Join("; ", refundEvents);

    private string Describe(OrderStory story, StripeTruth stripe, List<StoredOrder> wren, ApiOrder? api, string detail)
    {
        var events = courier.For(story.SessionId);
        var from = story.Steps.FirstOrDefault().At - TimeSpan.FromSeconds(10);
        var to = new[] { story.Steps.LastOrDefault().At }.Concat(events.Select(e => e.FirstAcceptedAt ?? e.RaisedAt))
            .Concat(wren.Select(w => log.At(w.CreatedAt))).Max() + TimeSpan.FromSeconds(10);
        var lines = new List<string>
        {
            detail,
            $"Stripe: {stripe}",
            $"Wren:   {(wren.Count == 0 ? "no order" : string.Join(", ", wren.Select(w => $"{w.Id} stored {SoakLog.Format(log.At(w.CreatedAt))}")))}",
            $"Api:    {(api is null ? "no order" : $"{api.Status}, Wren order {api.WrenOrderId ?? "none"}, refunded {api.AmountRefunded}, disputed {api.Disputed}, attention: {api.Attention ?? "none"}")}",
            $"story:  {story}",
        };
        lines.AddRange(events.Select(e => $"event:  {e}"));
        lines.AddRange(log.Between(from, to).Select(f => $"fault:  {f}"));
        return string.Join("\n      ", lines.Where(l => l.Length > 0));
    }

    /// <summary>Exactly-once processing of every message between the services (<see cref="MessageLedger"/>).</summary>
    private async Task JudgeMessagesAsync(SoakDatabases databases, LedgerReport report)
    {
        List<SentMessage> sent = [.. await databases.PublishedAsync(cluster.OrdersDatabase), .. await databases.PublishedAsync(cluster.FulfillmentDatabase)];
        List<RecordedMessage> applied = [.. await databases.AppliedAsync(cluster.OrdersDatabase), .. await databases.AppliedAsync(cluster.FulfillmentDatabase)];
        var (findings, counts) = MessageLedger.Judge(sent, applied);
        report.Messages = counts;
        foreach (var finding in findings)
        {
            var lines = new List<string> { $"{finding.Subject}: {finding.Count} message(s)" };
            foreach (var example in finding.Examples)
            {
                var at = log.At(example.DispatchedAt);
                lines.Add($"message {example.MessageId} ({example.MessageType}) published at {SoakLog.Format(at)}");
                lines.AddRange(log.Between(at - TimeSpan.FromSeconds(10), at + TimeSpan.FromSeconds(10)).Select(f => $"fault:  {f}"));
            }

            lines.AddRange(finding.OtherIds.Select(id => $"message {id}"));
            _violations.Add(new Violation(finding.Rule, null, string.Join("\n      ", lines)));
        }
    }

    private async Task JudgeSystemAsync(SoakDatabases databases, LedgerReport report)
    {
        foreach (var queue in await cluster.Broker.QueuesAsync(cluster.VirtualHost))
        {
            report.Queues.Add($"{queue.Name} {queue.Messages}");
            if (queue.Messages + queue.Unacknowledged > 0)
            {
                _violations.Add(new Violation("message left in a queue", null, $"{queue.Name}: {queue.Messages} ready, {queue.Unacknowledged} unacknowledged"));
            }
        }

        var (apiPending, apiParked, fulfillmentPending, fulfillmentParked) = await databases.OutboxesAsync();
        report.Outboxes = $"Api {apiPending} unpublished ({apiParked} parked), Fulfillment {fulfillmentPending} unpublished ({fulfillmentParked} parked)";
        if (apiPending + fulfillmentPending > 0 || apiParked + fulfillmentParked > 0)
        {
            _violations.Add(new Violation("outbox row left unpublished or parked", null, report.Outboxes));
        }

        await JudgeMessagesAsync(databases, report);

        foreach (var rejected in courier.Deliveries.Where(d => d.Rejection is not null))
        {
            _violations.Add(new Violation("webhook refused with a 4xx", null, rejected.ToString()));
        }

        foreach (var problem in customers.Problems)
        {
            _violations.Add(new Violation("checkout misbehaved", null, problem));
        }
    }
}
