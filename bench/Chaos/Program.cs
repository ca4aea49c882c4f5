using PuffinOffset.Chaos;
using PuffinOffset.TestSupport;

// The chaos soak (issue 22): a realistic workload for a given time while faults land at random, then a ledger of
// every order's money against its offsets. Exits 1 on any violation, 2 on a bad command line.
// Usage: dotnet run -c Release --project bench/Chaos -- --duration 00:02:00 --seed 42 --provider postgres
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

try
{
    return await SoakAsync(options);
}
catch (Exception ex)
{
    // Returned, not thrown: an unhandled exception aborts the process without its exit handlers, and the RabbitMQ
    // node the soak started (and restarted) was left running after a crash of the ledger.
    Console.Error.WriteLine($"chaos soak failed: {ex}");
    return 1;
}

static async Task<int> SoakAsync(SoakOptions options)
{
    Environment.SetEnvironmentVariable(TestDatabase.Variable, options.Provider);
    Console.WriteLine($"chaos soak: {options.Provider}, {options.ApiReplicas} Api + {options.FulfillmentReplicas} Fulfillment processes, " +
        $"duration {options.Duration:c}, seed {options.Seed}, {options.OrdersPerSecond} orders/s; {Environment.ProcessorCount} cores");

    var log = new SoakLog();
    await using var cluster = await SoakCluster.StartAsync(options);
    log.Note($"started: Stripe {cluster.Stripe.BaseAddress}, Wren {cluster.Wren.BaseAddress}, replica logs in {cluster.LogFolder}");
    using var courier = new WebhookCourier(cluster, log, options.Seed + 10);
    using var customers = new Customers(cluster, log, options.Seed + 20);
    var monkey = new ChaosMonkey(cluster, log, options.Seed + 30);

    using var workloadOver = new CancellationTokenSource(options.Duration);
    using var deliveriesOver = new CancellationTokenSource();
    var delivering = courier.RunAsync(deliveriesOver.Token);
    var faults = Task.WhenAll(monkey.InsideAsync(workloadOver.Token), monkey.OutsideAsync(workloadOver.Token));
    var workload = Task.WhenAll(customers.RunAsync(options.OrdersPerSecond, workloadOver.Token), customers.OperatorAsync(workloadOver.Token));

    await faults;
    await monkey.AllClearAsync();
    await workload;
    log.Note($"workload over: {customers.Stories.Count} orders; every customer, bank and merchant action done");
    await deliveriesOver.CancelAsync();
    await delivering;
    log.Note("every planned webhook delivered");

    var settled = await Settling.WaitAsync(cluster, options.SettleTimeout, log);
    var ledger = new Ledger(cluster, log, customers, courier, monkey.StalledClaims);
    var judging = System.Diagnostics.Stopwatch.StartNew();
    var report = await ledger.JudgeAsync();
    judging.Stop();

    Console.WriteLine();
    Console.WriteLine($"ledger (seed {options.Seed}, {options.Provider}, {(settled ? "settled" : $"NOT settled within {options.SettleTimeout:c}")} at {SoakLog.Format(log.Now)}):");
    Console.Write(report.Print(log.Entries.Where(e => e.Kind != "operator replay").ToList()));
    Console.WriteLine($"  driver:      {customers.Pace(options.OrdersPerSecond)}; the ledger judged in {judging.Elapsed.TotalSeconds:0.0} s");
    using (var soak = System.Diagnostics.Process.GetCurrentProcess())
    {
        Console.WriteLine($"  CPU:         the soak {soak.TotalProcessorTime.TotalSeconds:0} s (peak working set {soak.PeakWorkingSet64 >> 20} MiB); {cluster.CpuTimes()}");
    }

    Console.WriteLine($"  violations:  {ledger.Violations.Count} ({ledger.Violations.Count(v => v.OrderId is not null)} orders)");
    foreach (var group in ledger.Violations.SelectMany(v => v.Rules).GroupBy(rule => rule))
    {
        Console.WriteLine($"  {group.Count()} × {group.Key}");
    }

    var number = 0;
    foreach (var violation in ledger.Violations)
    {
        Console.WriteLine(violation.OrderId is { } id
            ? $"\nVIOLATION {++number}: order {id}\n      {violation.Detail}"
            : $"\nVIOLATION {++number}: {violation.Rules[0]}\n      {violation.Detail}");
    }

    if (ledger.Violations.Count > 0)
    {
        var kept = Path.Combine(Path.GetTempPath(), "puffin-chaos", $"seed{options.Seed}-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        cluster.KeepLogs(kept);
        Console.WriteLine($"\nthe replicas' logs are kept in {kept}");
    }

    cluster.DeleteFolder();
    return ledger.Violations.Count > 0 ? 1 : 0;
}
