namespace PuffinOffset.Pipeline.Tests.Support;

/// <summary>
/// The test classes that must not share the process with other systems while they run: they listen to every
/// activity source of the process (a <c>TraceRecorder</c> cannot tell one system's spans from another's), read a
/// gauge's value from <c>/metrics</c> (each host's exporter also sees the other hosts' meters of the same name),
/// or stop the shared PostgreSQL. Every other class runs beside the others (xunit.runner.json); xunit runs this
/// collection after them, alone. Each system still has its own databases, vhost, sandboxes and ports.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
