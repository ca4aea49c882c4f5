using MassTransit;

namespace PuffinOffset.Messaging;

/// <summary>
/// The retry policy of every consumer in both services but the replay's (whose shorter intervals are
/// explained on <c>FulfillmentReplayRequestedConsumerDefinition</c>). A consumer's work is a short database
/// transaction behind an inbox, so any failure worth retrying is transient (SQLite busy, a disk full for
/// a while, a database restarting): the intervals outlast an outage of several minutes before the message
/// goes to its <c>_error</c> queue. Bounded, because a message that fails for five minutes is a bug or an
/// outage an operator must see; what lands in <c>_error</c> is counted and recovered (see docs/fulfillment.md).
/// The retries run in process (the broker has no delayed-message plugin), holding the unacknowledged
/// message, which is why they stop at a minute apart.
/// </summary>
public static class ConsumerRetry
{
    public static readonly IReadOnlyList<TimeSpan> Intervals =
    [
        TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2),
        TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1),
    ];

    public static void UseConsumerRetry(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(retry => retry.Intervals(Intervals.ToArray()));
}
