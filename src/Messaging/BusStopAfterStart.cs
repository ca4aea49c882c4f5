using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Messaging;

/// <summary>
/// Lets a bus that is still connecting finish its start before MassTransit stops it. MassTransit's hosted service
/// starts the bus in the background (the service serves HTTP, and takes orders into its outbox, while it connects);
/// stopped before that start has finished, it logs "Failed to stop bus: Not Started" and returns, and the bus then
/// connects anyway: its consumers take messages for a service that is shutting down (an in-process host keeps them
/// attached for the rest of its process). Registered after MassTransit's hosted service, this one stops before it
/// and waits, at most <see cref="BusStartupOptions.StartupWait"/> (an unreachable broker must not hold a SIGTERM), for the start underway
/// to finish, so that MassTransit's stop finds a started bus and stops it.
/// </summary>
public sealed class BusStopAfterStart(
    BusStopAfterStart.StartObserver starts, IBusControl bus, IOptions<BusStartupOptions> startup, TimeProvider time) : IHostedService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    // MassTransit's health text for a bus it has not recorded as started (or faulted, or stopped) yet.
    private const string NotRecordedAsStarted = "Not ready: not started";

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!starts.Begun)
        {
            return;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(startup.Value.StartupWait);
        try
        {
            // MassTransit tells its observers that the bus started a moment before it records it as started.
            if (await starts.Finished.WaitAsync(bounded.Token))
            {
                while (bus.CheckHealth().Description == NotRecordedAsStarted)
                {
                    await Task.Delay(PollInterval, time, bounded.Token);
                }
            }
        }
        catch (OperationCanceledException) when (bounded.IsCancellationRequested)
        {
            // Still connecting after StartupWait: MassTransit's stop cannot stop it; the process ends anyway.
        }
    }

    /// <summary>Whether the bus's start has begun, and when it finished (true: started; false: faulted).</summary>
    public sealed class StartObserver : IBusObserver
    {
        private readonly TaskCompletionSource<bool> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _begun;

        public bool Begun => _begun;

        public Task<bool> Finished => _finished.Task;

        public Task PreStart(IBus bus)
        {
            _begun = true;
            return Task.CompletedTask;
        }

        public Task PostStart(IBus bus, Task<BusReady> busReady)
        {
            _finished.TrySetResult(true);
            return Task.CompletedTask;
        }

        public Task StartFaulted(IBus bus, Exception exception)
        {
            _finished.TrySetResult(false);
            return Task.CompletedTask;
        }

        public void PostCreate(IBus bus)
        {
        }

        public void CreateFaulted(Exception exception)
        {
        }

        public Task PreStop(IBus bus) => Task.CompletedTask;

        public Task PostStop(IBus bus) => Task.CompletedTask;

        public Task StopFaulted(IBus bus, Exception exception) => Task.CompletedTask;
    }
}
