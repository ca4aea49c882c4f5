using System.Diagnostics;
using System.Globalization;
using PuffinOffset.IngestBench;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;

// Usage: dotnet run -c Release --project bench/IngestBench -- requestpath [iterations=20000] [a=DIR]   (RequestPathBench.cs)
//    or: dotnet run -c Release --project bench/IngestBench -- [rounds=3] [seconds=8] [concurrency=16] [pool=40000] [trace=FILE [traceprofile=gc-verbose] [traceround=1]] [provider=sqlite|postgres]
//        [a=DIR|.] [Section__Key=value ...] [a:KEY=value ...] [b:KEY=value ...] [history=1000000]
// Section__Key=value and DOTNET_*=value arguments are set in the Api's environment (settings to compare, e.g. Outbox__MarkInterval=00:00:00).
// a=DIR adds build A (the Api.dll in DIR, e.g. a copy of src/Api/bin/Release/net10.0 made before a change; "." for this
// build) to every round beside this build (B); a:KEY=value / b:KEY=value set a variable for one of them only (GC A/B).
// Allocation per event: the Api's dotnet.gc.heap.total_allocated (/metrics) over the round ÷ events answered 200; "net" first
// subtracts what the Api allocates idle (measured for 5 s before the rounds) over the round's duration.
// provider is the Api's engine: sqlite (default, its file with synchronous=FULL) or postgres (a throwaway server from
// scripts/postgres-local.sh, as the tests start it). The floor always commits to SQLite: it is the disk's yardstick.
// The floor (bench/WebhookFloor: signature check + one SQLite row, synchronous=FULL) and the system (the real
// Api as its own process, a PaymentCompleted consumer on the same broker standing in for Fulfillment)
// measured in the same run, rounds alternating, each round `seconds` long with `concurrency` senders posting
// distinct pre-signed paid events for real orders. Prints every round, the medians and system/floor.
var options = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
int Option(string name, int fallback) => int.Parse(options.GetValueOrDefault(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
if (args.FirstOrDefault() == "requestpath")
{
    return await RequestPathBench.RunAsync(options);
}

var rounds = Option("rounds", 3);
var seconds = Option("seconds", 8);
var concurrency = Option("concurrency", 16);
var pool = Option("pool", 40_000);
const int warmup = 500;
const string secret = "whsec_BENCHONLY0123456789abcdefghijABCDEFGHIJ";

var repository = RepositoryRoot();
var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)); // bin/<Release>/net10.0
var configuration = output.Parent!.Name;
var targetFramework = output.Name;
string Built(string project, string assembly) => Path.Combine(repository, project, "bin", configuration, targetFramework, assembly);

using var folder = new TempFolder();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} at start (shared machine: other work may be running)");

// The Api's orders: one per event the system rounds may send (each build under test gets its own copy).
var orders = Enumerable.Range(0, warmup + rounds * pool).Select(i => (OrderId: Guid.CreateVersion7(), SessionId: $"cs_test_a1BENCH{i:D8}")).ToArray();
var postgres = options.GetValueOrDefault("provider", "sqlite") switch
{
    "sqlite" => false,
    "postgres" => true,
    var other => throw new ArgumentException($"provider must be sqlite or postgres, not '{other}'."),
};
Console.WriteLine($"Api database: {(postgres ? "postgres (throwaway server, scripts/postgres-local.sh)" : "sqlite")}");

// Variables for the Api: Section__Key / DOTNET_* for every build, a:… only for build A, b:… only for this build.
Dictionary<string, string> ApiVariables(string? only) => new Dictionary<string, string>
{
    ["STRIPE_SECRET_KEY"] = "sk_test_BENCHONLY",
    ["STRIPE_WEBHOOK_SECRET"] = secret,
    ["STRIPE_API_BASE"] = "http://127.0.0.1:9",
    ["WREN_API_BASE"] = "http://127.0.0.1:9",
    ["FRONTEND_URL"] = "https://shop.example.test",
}.Concat(options.Where(o => o.Key.Contains("__", StringComparison.Ordinal) || o.Key.StartsWith("DOTNET_", StringComparison.Ordinal))
        .Where(o => !o.Key.Contains(':', StringComparison.Ordinal)))
    .Concat(options.Where(o => only is not null && o.Key.StartsWith(only + ":", StringComparison.Ordinal))
        .Select(o => KeyValuePair.Create(o.Key[(only!.Length + 1)..], o.Value)))
    .GroupBy(o => o.Key).ToDictionary(g => g.Key, g => g.Last().Value);

// a=DIR (a build of the Api elsewhere, e.g. the commit before a change) or a=. (this build, e.g. with other a:DOTNET_* settings):
// A is measured in the same rounds as this build (B), alternating, each with its own database, vhost and consumer.
var apis = new List<ApiUnderTest>();
// history=N (issue 21, "cost flat with history"): this build twice, "seeded" on a database already holding N past orders,
// N stripe_events rows and the outbox/inbox rows retention keeps (bench/HistorySeed), beside "empty", in the same rounds.
var history = Option("history", 0);
if (history > 0)
{
    apis.Add(await ApiUnderTest.StartAsync("seeded", Built("src/Api", "Api.dll"), postgres, folder.Path, orders, ApiVariables(null), history));
    apis.Add(await ApiUnderTest.StartAsync("empty", Built("src/Api", "Api.dll"), postgres, folder.Path, orders, ApiVariables(null)));
}
else if (options.TryGetValue("a", out var alternative))
{
    var dll = alternative == "." ? Built("src/Api", "Api.dll") : Path.Combine(Path.GetFullPath(alternative), "Api.dll");
    apis.Add(await ApiUnderTest.StartAsync("a", dll, postgres, folder.Path, orders, ApiVariables("a")));
}

if (history == 0)
{
    apis.Add(await ApiUnderTest.StartAsync(apis.Count == 0 ? "system" : "b", Built("src/Api", "Api.dll"), postgres, folder.Path, orders,
        ApiVariables(apis.Count == 0 ? null : "b")));
}
await using var floor = await ServiceProcess.StartAsync(Built("bench/WebhookFloor", "WebhookFloor.dll"), new Dictionary<string, string>
{
    ["STRIPE_WEBHOOK_SECRET"] = secret,
    ["FLOOR_DATABASE_PATH"] = folder.File("floor.db"),
}, "floor", readinessPath: null, logPath: folder.File("floor.log"));
Console.WriteLine($"{string.Join(", ", apis.Select(a => $"{a.Name} pid {a.Process.Id} at {a.Process.BaseAddress}"))}, floor pid {floor.Id} at {floor.BaseAddress}");
using var scraper = new HttpClient();

var load = new LoadGenerator(concurrency, secret);
var next = 0;
string[] Bodies(int count) => Enumerable.Range(next, count).Select(i =>
    StripeEventFixture.For(StripeEventFixture.CompletedPaid, orders[i].SessionId, orders[i].OrderId, $"evt_BENCH{i:D8}")).ToArray();

var warmupBodies = Bodies(warmup);
next += warmup;
await load.RunAsync(new Uri(floor.BaseAddress, "/webhook"), warmupBodies, TimeSpan.FromMinutes(2));
foreach (var api in apis)
{
    await load.RunAsync(new Uri(api.Process.BaseAddress, "/api/webhooks/stripe"), warmupBodies, TimeSpan.FromMinutes(2));
}

// What each Api allocates with no webhook arriving (metrics, health checks, the outbox's polling), per second: subtracted
// from a round's allocation to give the webhooks' own ("net").
var idleBytesPerSecond = new Dictionary<string, double>();
foreach (var api in apis)
{
    var idleStart = await api.AllocatedBytesAsync(scraper);
    var idleClock = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(5));
    var idleEnd = await api.AllocatedBytesAsync(scraper);
    idleBytesPerSecond[api.Name] = (idleEnd - idleStart) / idleClock.Elapsed.TotalSeconds ?? 0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{api.Name} idle: {idleBytesPerSecond[api.Name] / 1024:0} KiB allocated/s"));
}

var results = new List<(string Target, RoundResult Result)>();
for (var round = 1; round <= rounds; round++)
{
    var bodies = Bodies(pool);
    next += pool;
    // A and B swap places every round, so that neither always runs right after the floor.
    var systems = round % 2 == 1 ? apis : Enumerable.Reverse(apis).ToList();
    var targets = new[] { ("floor", floor, "/webhook", (ApiUnderTest?)null) }
        .Concat(systems.Select(a => (a.Name, a.Process, "/api/webhooks/stripe", (ApiUnderTest?)a)));
    foreach (var (name, server, path, api) in targets)
    {
        using var trace = round == Option("traceround", 1) && api is not null && options.TryGetValue("trace", out var tracePath)
            ? await Tracer.StartAsync(repository, server.Id, apis.Count == 1 ? tracePath : $"{tracePath}.{name}", TimeSpan.FromSeconds(seconds),
                options.GetValueOrDefault("traceprofile", "dotnet-sampled-thread-time"))
            : null;
        var allocatedBefore = api is null ? null : await api.AllocatedBytesAsync(scraper);
        var roundClock = Stopwatch.StartNew();
        var cpuBefore = server.CpuTime;
        var result = await load.RunAsync(new Uri(server.BaseAddress, path), bodies, TimeSpan.FromSeconds(seconds));
        var cpu = server.CpuTime - cpuBefore;
        var allocatedAfter = api is null ? null : await api.AllocatedBytesAsync(scraper);
        var idleBytes = api is null ? 0 : idleBytesPerSecond[api.Name] * roundClock.Elapsed.TotalSeconds;
        result = result with
        {
            CpuMsPerEvent = cpu.TotalMilliseconds / Math.Max(1, result.Succeeded),
            RssMiB = server.RssMiB,
            AllocKiBPerEvent = allocatedAfter - allocatedBefore is { } allocated ? allocated / 1024 / Math.Max(1, result.Succeeded) : double.NaN,
            NetAllocKiBPerEvent = allocatedAfter - allocatedBefore is { } all ? (all - idleBytes) / 1024 / Math.Max(1, result.Succeeded) : double.NaN,
        };
        results.Add((name, result));
        Console.WriteLine($"round {round} {name,-6}: {result} (load average {LoadAverage()})");
        if (trace is not null)
        {
            await trace.WaitAsync();
        }
    }
}

RoundResult Median(string target)
{
    var runs = results.Where(r => r.Target == target).Select(r => r.Result).ToList();
    double M(Func<RoundResult, double> f) => runs.Select(f).Order().ElementAt(runs.Count / 2);
    return new RoundResult(0, 0, M(r => r.EventsPerSecond), M(r => r.P50), M(r => r.P99), M(r => r.CpuMsPerEvent), M(r => r.RssMiB), M(r => r.AllocKiBPerEvent), M(r => r.NetAllocKiBPerEvent));
}

var floorMedian = Median("floor");
Console.WriteLine();
Console.WriteLine($"median of {rounds} rounds, {seconds} s each, {concurrency} senders, load average {LoadAverage()} at end (shared machine):");
Console.WriteLine($"  floor : {floorMedian.Summary()}");
foreach (var api in apis)
{
    var median = Median(api.Name);
    Console.WriteLine($"  {api.Name,-6}: {median.Summary()}");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {api.Name} / floor: {median.EventsPerSecond / floorMedian.EventsPerSecond:0.00}× throughput, {median.CpuMsPerEvent / floorMedian.CpuMsPerEvent:0.0}× CPU per event"));
}

// Every paid event an Api answered 200 must reach its broker exactly once.
var exitCode = 0;
foreach (var api in apis)
{
    var sent = warmup + results.Where(r => r.Target == api.Name).Sum(r => r.Result.Succeeded);
    var deadline = DateTime.UtcNow.AddMinutes(2);
    while (api.Received < sent && DateTime.UtcNow < deadline)
    {
        await Task.Delay(100);
    }

    Console.WriteLine($"{api.Name}: PaymentCompleted received by the consumer: {api.Received} of {sent} paid events answered 200");
    exitCode |= api.Received == sent ? 0 : 1;
    await api.DisposeAsync();
}

return exitCode;

static string RepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "PuffinOffset.sln")))
        {
            return directory.FullName;
        }
    }

    throw new InvalidOperationException("Run the bench from a build inside the repository (PuffinOffset.sln not found above it).");
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
