namespace PuffinOffset.Messaging;

/// <summary>
/// How long a bus that is still connecting is waited for: by the readiness check before it calls the bus unhealthy, and
/// by a stop before it lets MassTransit stop the bus. Not bound to configuration: the services keep the default; a test
/// of an unreachable broker shortens it, since only its end is observed there.
/// </summary>
public sealed class BusStartupOptions
{
    public static readonly TimeSpan DefaultStartupWait = TimeSpan.FromSeconds(10);

    public TimeSpan StartupWait { get; set; } = DefaultStartupWait;
}
