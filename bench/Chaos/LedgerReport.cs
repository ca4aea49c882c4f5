using System.Text;

namespace PuffinOffset.Chaos;

/// <summary>The ledger's counts: what Stripe, Wren and the Api say across every order, and what the soak did.</summary>
public sealed class LedgerReport
{
    private readonly SortedDictionary<string, int> _stripe = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _api = new(StringComparer.Ordinal);

    public int Orders { get; private set; }
    public int WrenOrders { get; set; }
    public int WrenPosts { get; set; }
    public int WrenLookups { get; set; }
    public string Fulfillments { get; set; } = "";
    public int Events { get; set; }
    public int Dropped { get; set; }
    public int Twice { get; set; }
    public int Late { get; set; }
    public int CheckoutsGivenUp { get; set; }
    public string Outboxes { get; set; } = "";
    public string Messages { get; set; } = "";
    public string StalledClaims { get; set; } = "";
    public List<string> Queues { get; } = [];

    public int Duplicates { get; private set; }

    public void Count(StripeTruth stripe, int wrenOrders, ApiOrder? api)
    {
        Orders++;
        Duplicates += wrenOrders > 1 ? 1 : 0;
        var money = !stripe.Paid ? $"not paid ({stripe.SessionStatus})"
            : stripe.RefundedInFull ? $"refunded in full {(wrenOrders > 0 ? "after" : "before")} purchase"
            : stripe.AmountRefunded > 0 ? "paid, partially refunded"
            : stripe.Dispute is not null ? "paid, disputed"
            : "paid";
        Add(_stripe, money);
        Add(_api, api?.Status ?? "missing");
    }

    private static void Add(SortedDictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    public string Print(IReadOnlyList<SoakEntry> faults)
    {
        var text = new StringBuilder();
        text.AppendLine($"  orders: {Orders} ({CheckoutsGivenUp} checkouts given up during outages)");
        text.AppendLine($"  Stripe says: {string.Join(", ", _stripe.Select(c => $"{c.Value} {c.Key}"))}");
        text.AppendLine($"  Api says:    {string.Join(", ", _api.Select(c => $"{c.Value} {c.Key}"))}");
        text.AppendLine($"  Wren says:   {WrenOrders} orders, {Duplicates} order(s) bought twice ({WrenPosts} POSTs, {WrenLookups} lookups by note); fulfilments: {Fulfillments}");
        text.AppendLine($"  webhooks:    {Events} events; {Twice} accepted more than once, {Late} accepted more than 1 s late, {Dropped} never delivered");
        text.AppendLine($"  faults:      {faults.Count}: {string.Join(", ", faults.GroupBy(f => f.Kind).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}"))}");
        text.AppendLine($"  stalls:      {StalledClaims}");
        text.AppendLine($"  outboxes:    {Outboxes}");
        text.AppendLine($"  queues:      {string.Join(", ", Queues)}");
        text.AppendLine($"  messages:    {Messages}");
        return text.ToString();
    }
}
