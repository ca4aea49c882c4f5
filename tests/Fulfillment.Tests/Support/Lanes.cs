// Every Fulfillment test class runs in the assembly's one collection, one class after the other: their tests count
// meters and activities by name, hold leases and time backlogs, and several bind their preconditions to the machine's
// speed (docs/testing.md, "Tried and not kept"). A class that has been proven to run beside them is in BesideTheOthers.
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerAssembly)]

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// The second lane: its classes run one after the other, beside the assembly's collection (xunit.runner.json). A class
/// belongs here only when nothing it proves depends on what else the process does: its own RabbitMQ node or vhost,
/// database and Wren sandbox, no meter or activity listened to by name, and no wait whose bound the machine's load
/// could exhaust.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BesideTheOthers
{
    public const string Name = "Beside the others";
}

/// <summary>
/// The classes that must see only their own host's measurements: they listen to a meter by name and assert exact
/// counts, which a host of the other lane would add to. xunit runs this collection after the others, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
