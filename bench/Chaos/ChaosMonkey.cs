using System.Collections.Concurrent;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Chaos;

/// <summary>
/// Faults at random moments, each logged with its time. Two lanes, each one fault at a time, so faults of the
/// inside (replicas, broker, database) and of the outside (Wren, Stripe) overlap freely:
/// <list type="bullet">
/// <item>inside: SIGKILL (restarted 0.5–3 s later, as systemd would), SIGTERM (restarted once it has exited), SIGSTOP held
/// past the fulfilment lease then SIGCONT, of any replica; SIGSTOP of a Fulfillment replica between its claim of an attempt
/// and its lease fence, held until another replica has finished the attempt (PostgreSQL); RabbitMQ stopped and restarted, or killed (SIGKILL of the Erlang VM,
/// its children and its epmd) and restarted on the same data; PostgreSQL restarted;</item>
/// <item>outside: Wren answering 503, 429 with Retry-After, slowly (past Fulfillment's timeout too), storing an order
/// and losing the answer, or storing it after the client gave up; Stripe's API down during checkout and reconciliation.</item>
/// </list>
/// Each lane draws its faults from a shuffled deck holding every kind, so a short run still meets each kind; when the
/// soak's time is up each lane ends its current fault and puts things right (<see cref="AllClearAsync"/>).
/// </summary>
public sealed class ChaosMonkey(SoakCluster cluster, SoakLog log, int seed)
{
    private readonly Random _inside = new(seed);
    private readonly Random _outside = new(seed + 1);
    private readonly ConcurrentQueue<StalledClaim> _stalledClaims = new();

    private enum Inside { Kill, Terminate, Pause, Broker, BrokerKill, Postgres, ClaimStall }

    /// <summary>The attempts whose replica was stopped between their claim and their lease fence (<see cref="StallAtClaimAsync"/>).</summary>
    public IReadOnlyList<StalledClaim> StalledClaims => [.. _stalledClaims];

    private enum Outside { Wren503, Wren429, WrenSlow, WrenStoreAfterTimeout, WrenLostAnswer, StripeOutage }

    public async Task InsideAsync(CancellationToken stop)
    {
        Inside[] kinds = cluster.Postgres is null
            ? [Inside.Kill, Inside.Kill, Inside.Terminate, Inside.Pause, Inside.Broker, Inside.BrokerKill]
            : [Inside.Kill, Inside.Kill, Inside.Terminate, Inside.Pause, Inside.Broker, Inside.BrokerKill, Inside.Postgres, Inside.ClaimStall];
        var insideDeck = new Deck<Inside>(kinds, _inside);
        while (await RestAsync(_inside, 4, 12, stop))
        {
            var role = _inside.Next(cluster.Slots(Role.Api) + cluster.Slots(Role.Fulfillment)) < cluster.Slots(Role.Api) ? Role.Api : Role.Fulfillment;
            var slot = _inside.Next(cluster.Slots(role));
            var name = SoakCluster.Name(role, slot);
            try
            {
                // A slot whose last restart failed is empty (or its process died on its own): bring it back first.
                if (cluster[role, slot] is not { HasExited: false })
                {
                    log.Record("restart", $"{name} was down when its next fault was drawn: restarted");
                    await cluster.RestartAsync(role, slot);
                    continue;
                }

                await InflictAsync(insideDeck.Draw(), role, slot, name);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or Npgsql.NpgsqlException)
            {
                // A fault whose recovery failed (a broker or replica that would not come back in time) is itself
                // part of the run: log it and go on; AllClearAsync brings back what is still down.
                log.Record("recovery failed", $"recovering from the last fault failed: {ex.Message.Split('\n')[0]}");
            }
        }
    }

    private async Task InflictAsync(Inside kind, Role role, int slot, string name)
    {
        switch (kind)
        {
            case Inside.Kill:
                await KillAsync(role, slot, name);
                break;
            case Inside.Terminate:
                await TerminateAsync(role, slot, name);
                break;
            case Inside.Pause:
                await PauseAsync(role, slot, name);
                break;
            case Inside.Broker:
                await RestartBrokerAsync();
                break;
            case Inside.BrokerKill:
                await KillBrokerAsync();
                break;
            case Inside.ClaimStall:
                await StallAtClaimAsync();
                break;
            default:
                await RestartPostgresAsync();
                break;
        }
    }

    public async Task OutsideAsync(CancellationToken stop)
    {
        var wren = cluster.Wren.State;
        var outsideDeck = new Deck<Outside>(Enum.GetValues<Outside>(), _outside);
        while (await RestAsync(_outside, 3, 10, stop))
        {
            var count = _outside.Next(3, 15);
            switch (outsideDeck.Draw())
            {
                case Outside.Wren503:
                    wren.FailNextPosts(count, 503);
                    log.Record("wren 503", $"Wren answers the next {count} POSTs 503");
                    break;
                case Outside.Wren429:
                    var retryAfter = _outside.Next(1, 4).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    wren.RateLimitNextPosts(count, retryAfter);
                    log.Record("wren 429", $"Wren answers the next {count} POSTs 429 Retry-After {retryAfter}");
                    break;
                case Outside.WrenSlow:
                    var slow = TimeSpan.FromMilliseconds(_outside.Next(1000, 4000));
                    wren.DelayNextPosts(count, slow);
                    log.Record("wren slow", $"Wren holds the next {count} POSTs {slow.TotalSeconds:0.0} s (under the client's timeout)");
                    break;
                case Outside.WrenStoreAfterTimeout:
                    // Within the time Fulfillment lets an unknown outcome settle before its lookup by note.
                    var late = SoakCluster.WrenTimeout + TimeSpan.FromMilliseconds(_outside.Next(200, (int)SoakCluster.UnknownOutcomeSettleTime.TotalMilliseconds - 500));
                    wren.StoreAfterDelayForNextPosts(count, late);
                    log.Record("wren store-after-timeout", $"Wren stores the next {count} orders {late.TotalSeconds:0.0} s late, after the client gave up");
                    break;
                case Outside.WrenLostAnswer:
                    wren.DropConnectionAfterStoringNextPosts(count);
                    log.Record("wren lost answer", $"Wren stores the next {count} orders and drops the connection instead of answering");
                    break;
                default:
                    var outage = TimeSpan.FromSeconds(_outside.Next(3, 12));
                    var status = _outside.Next(2) == 0 ? 500 : 503;
                    cluster.Stripe.Outage.Begin(outage, status);
                    log.Record("stripe outage", $"Stripe's API answers {status} for {outage.TotalSeconds:0} s (checkout and reconciliation)");
                    await Task.Delay(outage, CancellationToken.None);
                    break;
            }
        }
    }

    /// <summary>After the last fault: Wren and Stripe healthy, every replica running (a paused one continued, a dead one restarted).</summary>
    public async Task AllClearAsync()
    {
        cluster.Wren.State.ClearFaults();
        cluster.Stripe.Outage.End();

        foreach (var role in new[] { Role.Api, Role.Fulfillment })
        {
            for (var slot = 0; slot < cluster.Slots(role); slot++)
            {
                if (cluster[role, slot] is not { HasExited: false })
                {
                    log.Record("restart", $"{SoakCluster.Name(role, slot)} was down at the end of the faults: restarted");
                    await cluster.RestartAsync(role, slot);
                }
            }
        }

        log.Note("faults over: Wren and Stripe healthy, every replica running");
    }

    private async Task KillAsync(Role role, int slot, string name)
    {
        var victim = cluster[role, slot]!;
        await victim.KillAsync();
        var down = TimeSpan.FromMilliseconds(_inside.Next(500, 3000));
        log.Record("SIGKILL", $"SIGKILL {name} (pid {victim.Id}); restarted in {down.TotalSeconds:0.0} s");
        await Task.Delay(down);
        await RestartAsync(role, slot, name);
    }

    private async Task TerminateAsync(Role role, int slot, string name)
    {
        var victim = cluster[role, slot]!;
        log.Record("SIGTERM", $"SIGTERM {name} (pid {victim.Id})");
        try
        {
            var exit = await victim.StopAsync(TimeSpan.FromSeconds(40));
            log.Note($"{name} exited with {exit} after SIGTERM; restarted");
        }
        catch (TimeoutException)
        {
            log.Record("stuck stop", $"{name} did not stop within 40 s of SIGTERM: killed");
        }

        await RestartAsync(role, slot, name);
    }

    /// <summary>Frozen longer than the fulfilment lease: another replica may take over its work while it sleeps.</summary>
    private async Task PauseAsync(Role role, int slot, string name)
    {
        var victim = cluster[role, slot]!;
        var held = SoakCluster.LeaseDuration + TimeSpan.FromMilliseconds(_inside.Next(1000, 5000));
        await victim.PauseAsync();
        log.Record("SIGSTOP", $"SIGSTOP {name} (pid {victim.Id}) for {held.TotalSeconds:0.0} s, past the {SoakCluster.LeaseDuration.TotalSeconds:0} s lease");
        await Task.Delay(held);
        await victim.ResumeAsync();
        log.Note($"SIGCONT {name}");
    }

    /// <summary>
    /// The stall the lease fence is for, on purpose: a Fulfillment replica stopped after its claim of an attempt committed
    /// and before it read that commit (<see cref="ClaimGate"/>), so before its fence; held until another replica has taken
    /// the attempt over after the lease and finished it, then continued. With the fence it sends no POST for those orders;
    /// without it, a second Wren order (the ledger's "bought again by a replica stalled before its lease fence").
    /// </summary>
    private async Task StallAtClaimAsync()
    {
        var replicas = Enumerable.Range(0, cluster.Slots(Role.Fulfillment))
            .Select(slot => (Name: SoakCluster.Name(Role.Fulfillment, slot), Process: cluster[Role.Fulfillment, slot]))
            .Where(r => r.Process is { HasExited: false })
            .ToDictionary(r => r.Process!.Id, r => (r.Name, Process: r.Process!));
        ServiceProcess? paused = null;
        var gate = await ClaimGate.CloseAsync(cluster.FulfillmentDatabase, replicas.Keys);
        try
        {
            if (await gate.WaitForClaimAsync(ClaimWait) is not { } pid)
            {
                log.Record("claim stall", $"no Fulfillment replica claimed an attempt within {ClaimWait.TotalSeconds:0} s: nothing stalled");
                return;
            }

            var heldAt = log.Now;
            var (name, victim) = replicas[pid];
            await gate.OpenAllButAsync(pid);
            var underWay = await gate.AttemptingAsync(pid);
            await victim.PauseAsync();
            paused = victim;
            await gate.OpenAsync([pid]);
            var held = new HashSet<Guid>();
            var committedBy = log.Now + TimeSpan.FromSeconds(10);
            while (held.Count == 0 && log.Now < committedBy)
            {
                await Task.Delay(100);
                held = [.. (await gate.AttemptingAsync(pid)).Except(underWay)];
            }

            if (held.Count == 0)
            {
                log.Record("claim stall", $"SIGSTOP {name} (pid {pid}) at its claim, but the claim did not commit: nothing stalled");
                return;
            }

            _stalledClaims.Enqueue(new StalledClaim(name, heldAt, held));
            log.Record("claim stall", $"SIGSTOP {name} (pid {pid}) before it read the commit of its claim of {held.Count} attempt(s) ({string.Join(", ", held)}), " +
                $"until another replica has finished them after the {SoakCluster.LeaseDuration.TotalSeconds:0} s lease");
            var finished = 0L;
            while (log.Now < heldAt + StallLimit && (finished = await gate.FinishedAsync(held)) < held.Count)
            {
                await Task.Delay(200);
            }

            log.Note($"SIGCONT {name}: {finished} of {held.Count} attempt(s) finished by another replica, {(log.Now - heldAt).TotalSeconds:0.0} s after the claim");
        }
        finally
        {
            if (paused is not null)
            {
                await paused.ResumeAsync();
            }

            // Releases what is still closed: a session's advisory locks end with the session.
            await gate.DisposeAsync();
        }
    }

    /// <summary>How long a claim stall waits for a replica to claim something (Wren's 429s pause every claim).</summary>
    private static readonly TimeSpan ClaimWait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The longest stall from the held claim: the replica's read of its COMMIT's answer gives up after Npgsql's 30 s command
    /// timeout, counted while it was stopped too, and a replica that never learns its claim committed posts nothing.
    /// </summary>
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(25);

    private async Task RestartBrokerAsync()
    {
        var down = TimeSpan.FromMilliseconds(_inside.Next(1000, 8000));
        log.Record("rabbitmq restart", $"RabbitMQ stopped for {down.TotalSeconds:0.0} s");
        await cluster.Broker.StopAsync();
        await Task.Delay(down);
        await StartBrokerAgainAsync();
    }

    /// <summary>
    /// The node dies as on a power cut: nothing flushed beyond what it had confirmed, no connection closed cleanly.
    /// It must come back with its durable queues and every message it confirmed (the ledger sees any it lost).
    /// </summary>
    private async Task KillBrokerAsync()
    {
        var down = TimeSpan.FromMilliseconds(_inside.Next(1000, 8000));
        log.Record("rabbitmq SIGKILL", $"SIGKILL RabbitMQ (process group {cluster.Broker.ProcessGroup}: beam.smp, its children and its epmd); restarted in {down.TotalSeconds:0.0} s");
        await cluster.Broker.KillAsync();
        await Task.Delay(down);
        await StartBrokerAgainAsync();
    }

    private async Task StartBrokerAgainAsync()
    {
        try
        {
            await cluster.Broker.RestartAsync();
        }
        catch (TimeoutException)
        {
            // A loaded machine can take longer than the broker's own readiness wait: keep waiting, start no second node.
            log.Record("slow broker start", "RabbitMQ not ready within its readiness wait (3 min) of its restart; still waiting");
            await Eventually.TrueAsync(async () =>
            {
                try
                {
                    await cluster.Broker.QueuesAsync(cluster.VirtualHost);
                    return true;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            }, TimeSpan.FromMinutes(5), "RabbitMQ answers again");
        }

        log.Note("RabbitMQ running again");
    }

    private async Task RestartPostgresAsync()
    {
        log.Record("postgres restart", "PostgreSQL restarted (fast shutdown: every connection cut)");
        await cluster.Postgres!.RestartAsync();
        log.Note("PostgreSQL accepting connections again");
    }

    private async Task RestartAsync(Role role, int slot, string name)
    {
        try
        {
            await cluster.RestartAsync(role, slot);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // A replica that cannot start while the broker or database is down is tried again, as systemd would.
            log.Record("failed start", $"{name} did not start: {ex.Message.Split('\n')[0]}; trying again");
            await Task.Delay(2000);
            await cluster.RestartAsync(role, slot);
        }
    }

    private static async Task<bool> RestAsync(Random random, int minSeconds, int maxSeconds, CancellationToken stop)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(minSeconds * 1000, maxSeconds * 1000)), stop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
