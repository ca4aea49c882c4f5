// Every Messaging test class runs in the assembly's one collection, one class after the other, as before: their tests
// share the RabbitMQ node, and some hold static state (InboxTests) or time a mark interval. A class that has been proven
// to run beside them is in BesideTheOthers (docs/testing.md, "Parallel test classes").
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

namespace PuffinOffset.Messaging.Tests.Support;

/// <summary>
/// The second lane: its classes run one after the other, beside the assembly's collection (xunit.runner.json). A class
/// belongs here only when nothing it proves depends on what else the process does: its own RabbitMQ node or vhost and
/// database, no meter or activity listened to by name (a <see cref="PuffinOffset.TestSupport.MeasurementCounter"/>
/// counts its own host's meters only), and no wait whose bound the machine's load could exhaust. It holds the longest
/// class, which mostly waits for a RabbitMQ node of its own to boot, stop and restart (BrokerOutageTests); the other
/// class with a node of its own (BrokerKillTests) stays in the first lane, so that the two lanes end close together.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BesideTheOthers
{
    public const string Name = "Beside the others";
}
