using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Messaging.Tests;

/// <summary>
/// The chaos soak's broker fault: SIGKILL of the whole RabbitMQ node (the Erlang VM, its children, its own epmd), and
/// the watchdog that kills what a soak started once the soak is gone, however it ended.
/// </summary>
[Trait("Engine", "Neutral")]
public sealed class BrokerKillTests
{
    private const uint Messages = 20;

    [Fact]
    public async Task A_killed_node_leaves_no_process_behind_and_comes_back_with_its_durable_queue_and_confirmed_messages()
    {
        await using var broker = await RabbitMqBroker.StartAsync("kill-test", killable: true);
        var uri = await broker.CreateVirtualHostAsync();
        await PublishConfirmedAsync(uri, "kill-test-durable");
        var group = broker.ProcessGroup ?? throw new InvalidOperationException("the node is not running");
        Assert.Contains(ProcessesOfGroup(group), name => name == "beam.smp");
        Assert.Contains(ProcessesOfGroup(group), name => name == "epmd");

        await broker.KillAsync();

        // SIGKILL cannot be survived, but a loaded machine takes a moment to end every process of the group.
        await Eventually.TrueAsync(() => ProcessesOfGroup(group).Count == 0, because: "no process of the node's group is left");
        Assert.False(await ListensAsync(broker.EpmdPort!.Value), "the node's own epmd was killed with it");
        Assert.False(await ListensAsync(broker.AmqpPort));

        await broker.RestartAsync();
        // The node accepts connections before its virtual hosts have recovered their queues: on a loaded machine the
        // durable queue can be "not found" for a moment after the restart (a clean-clone CI run), so the depth is
        // waited for; a queue the kill really lost never comes back and fails the wait.
        Assert.Equal(Messages, await Eventually.ValueAsync(() => DepthOrNullAsync(uri, "kill-test-durable"), depth => depth is not null,
            because: "the durable queue is back after the restart") ?? 0);
    }

    [Fact]
    public async Task The_watchdog_kills_the_process_group_it_guards_once_its_owner_has_closed_the_pipe()
    {
        // A process group of its own, as the killable node's; closing the pipe is what the kernel does when the owner dies.
        using var sleeper = Process.Start(new ProcessStartInfo("setsid", ["sleep", "600"]))!;
        // The group exists only once setsid has run in the new process: a kill of it before then would find nothing.
        await Eventually.TrueAsync(() => ProcessGroupOf(sleeper.Id) == sleeper.Id, because: "the sleeper leads a process group of its own");
        var watchdog = new ProcessWatchdog();
        watchdog.GuardGroup("sleeper", sleeper.Id);
        watchdog.GuardProcess("gone", 1 << 22); // a pid no process has (pid_max is at most 2^22): the rest are still killed

        watchdog.Dispose();

        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await sleeper.WaitForExitAsync(exited.Token);
        Assert.Equal(137, sleeper.ExitCode);
    }

    [Fact]
    public async Task A_process_the_owner_released_is_left_alone()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", ["600"]))!;
        var watchdog = new ProcessWatchdog();
        var watchdogId = watchdog.Id;
        watchdog.GuardProcess("sleeper", sleeper.Id);
        watchdog.Release("sleeper");

        watchdog.Dispose();

        await Eventually.TrueAsync(() => !Directory.Exists($"/proc/{watchdogId}"), because: "the watchdog has done its work and exited");
        Assert.False(sleeper.HasExited);
        sleeper.Kill();
    }

    /// <summary>The process group of <paramref name="pid"/>; 0 once it is gone.</summary>
    private static int ProcessGroupOf(int pid) => Stat($"/proc/{pid}") is { } stat ? stat.Group : 0;

    /// <summary>/proc/PID/stat's name, state and process group (pid (comm) state ppid pgrp ...); null when it is gone.</summary>
    private static (string Name, string State, int Group)? Stat(string folder)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(folder, "stat"));
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return (stat[(stat.IndexOf('(') + 1)..close], fields[0], int.Parse(fields[2], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null; // not a process, or gone meanwhile
        }
    }

    private static async Task PublishConfirmedAsync(string uri, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        for (var i = 0; i < Messages; i++)
        {
            // Returns once the broker confirmed it: a persistent message on a durable queue is on disk by then.
            await channel.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { Persistent = true }, "payment"u8.ToArray());
        }
    }

    /// <summary>The queue's depth; null while the broker says it has no such queue.</summary>
    private static async Task<uint?> DepthOrNullAsync(string uri, string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>The command names of the live processes in process group <paramref name="group"/> (from /proc/*/stat).</summary>
    private static List<string> ProcessesOfGroup(int group)
    {
        var names = new List<string>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            // A zombie has not been reaped yet but is dead.
            if (Stat(folder) is { } stat && stat.State != "Z" && stat.Group == group)
            {
                names.Add(stat.Name);
            }
        }

        return names;
    }

    private static async Task<bool> ListensAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
