using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace PuffinOffset.Replica.Tests;

/// <summary>What one run of the replica suite did and how long it took (printed, and written next to the test binaries).</summary>
public sealed class ReplicaFigures
{
    public int Orders { get; init; }
    public int ApiReplicas { get; init; }
    public int FulfillmentReplicas { get; init; }
    public int WebhooksAccepted { get; set; }
    public int WebhookAttemptsRetried { get; set; }
    public int ApiKilledAfter200s { get; set; }
    public long OutboxPendingAtApiKill { get; set; }
    public long FulfillmentLeasesAtKill { get; set; }
    public long FulfillmentLeasesAtStop { get; set; }
    public int WrenPosts { get; set; }
    public int WrenPosts503 { get; set; }
    public int WrenLookups { get; set; }
    public int WrenOrders { get; set; }
    public string Fulfillments { get; set; } = "";
    public string Queues { get; set; } = "";
    public TimeSpan Startup { get; set; }
    public TimeSpan Checkout { get; set; }
    public TimeSpan Webhooks { get; set; }
    public TimeSpan UntilAllFulfilled { get; set; }
    public TimeSpan Total { get; set; }

    /// <summary>Kills and stops, in the order they happened.</summary>
    public ConcurrentQueue<string> Events { get; } = new();

    public override string ToString()
    {
        var text = new StringBuilder();
        void Line(FormattableString line) => text.AppendLine(line.ToString(CultureInfo.InvariantCulture));
        Line($"replica suite: {ApiReplicas} Api + {FulfillmentReplicas} Fulfillment processes, one PostgreSQL, one RabbitMQ; {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        Line($"  orders: {Orders}; webhooks answered 2xx: {WebhooksAccepted} (each event twice, to different Api replicas), attempts retried: {WebhookAttemptsRetried}");
        foreach (var happened in Events)
        {
            Line($"  {happened}");
        }

        Line($"  Wren: {WrenPosts} POSTs ({WrenPosts503} answered 503), {WrenLookups} lookups by note, {WrenOrders} orders");
        Line($"  fulfilments: {Fulfillments}");
        Line($"  queues at the end: {Queues}");
        Line($"  wall time: start {Startup.TotalSeconds:0.0} s, checkout {Checkout.TotalSeconds:0.0} s, webhooks {Webhooks.TotalSeconds:0.0} s, all fulfilled {UntilAllFulfilled.TotalSeconds:0.0} s after the first webhook, total {Total.TotalSeconds:0.0} s");
        return text.ToString();
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
