namespace PuffinOffset.Pipeline.Tests.Support;

/// <summary>
/// The test classes that must not share the process with other systems while they run: they listen to every
/// activity source of the process (a <c>TraceRecorder</c> cannot tell one system's spans from another's), read
/// <c>/metrics</c>, or stop the shared PostgreSQL. Each host's exporter also listens to the other hosts' meters of
/// the same name (the SDK picks meters by name, not by host), so side by side a gauge's value may be another
/// system's, and <c>MetricsEndpointTests</c> once waited 30 s for series that never appeared. Every other class
/// runs beside the others (xunit.runner.json); xunit runs this collection after them, alone. Each system still has
/// its own databases, vhost, sandboxes and ports.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Runs alone";
}
