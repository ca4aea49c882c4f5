namespace PuffinOffset.Api.Tests.Support;

/// <summary>
/// The test classes that must not share the process with others while they run: they count a meter by its name
/// (a <c>MeterListener</c> sees every host's meter of that name, not only their own), kill processes, or time
/// a batch. Every other class runs beside the others (xunit.runner.json); xunit runs this collection after them,
/// alone. Each test still gets its own database, vhost and sandboxes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
