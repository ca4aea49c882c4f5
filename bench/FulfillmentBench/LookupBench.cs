using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PuffinOffset.Fulfillment.Wren;
using PuffinOffset.WrenSandbox;

namespace PuffinOffset.FulfillmentBench;

/// <summary>
/// The note lookup (<c>GET /api/offset-orders</c>, read as a stream) against a Wren sandbox holding a long
/// history. The order looked for is the oldest, which the sandbox lists last (newest first): the whole list is read.
/// </summary>
internal static class LookupBench
{
    private sealed class FromMemory(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StreamContent(new MemoryStream(body, writable: false)) });
    }

    public static async Task<int> RunAsync(int orders, int runs)
    {
        const string token = "4f1c2a9e-0000-4000-8000-00000000100c";
        await using var wren = await WrenSandboxServer.StartAsync(options => options.LiveTokens.Add(token));
        var start = DateTimeOffset.UtcNow.AddDays(-365);
        for (var i = 0; i < orders; i++)
        {
            wren.State.Seed(1.5m, $"puffin-offset order {Guid.NewGuid()}", start.AddSeconds(i));
        }

        var wanted = wren.State.Orders[0];
        using var http = new HttpClient { BaseAddress = wren.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var client = new WrenClient(http, NullLogger<WrenClient>.Instance);
        var bodyBytes = (await http.GetByteArrayAsync("api/offset-orders")).Length;

        // Warm-up: JIT and connection.
        await client.FindOrderByNoteAsync(wanted.Note!, CancellationToken.None);
        var timings = new List<double>();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var run = 0; run < runs; run++)
        {
            var clock = Stopwatch.StartNew();
            var result = await client.FindOrderByNoteAsync(wanted.Note!, CancellationToken.None);
            clock.Stop();
            if (result is not WrenLookupResult.Found found || found.WrenOrderId != wanted.Id)
            {
                Console.Error.WriteLine($"lookup failed: {result}");
                return 1;
            }

            timings.Add(clock.Elapsed.TotalMilliseconds);
        }

        var allocatedPerRun = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / runs;
        timings.Sort();

        // The client alone: the same body served from memory, so the sandbox's own work is not counted.
        var body = await http.GetByteArrayAsync("api/offset-orders");
        var local = new WrenClient(new HttpClient(new FromMemory(body)) { BaseAddress = new Uri("http://wren.invalid/") }, NullLogger<WrenClient>.Instance);
        await local.FindOrderByNoteAsync(wanted.Note!, CancellationToken.None);
        var clientTimings = new List<double>();
        var clientBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var run = 0; run < runs; run++)
        {
            var clock = Stopwatch.StartNew();
            await local.FindOrderByNoteAsync(wanted.Note!, CancellationToken.None);
            clientTimings.Add(clock.Elapsed.TotalMilliseconds);
        }

        var clientPerRun = (GC.GetTotalAllocatedBytes(precise: true) - clientBefore) / runs;
        clientTimings.Sort();

        // For comparison, what the lookup did before: the whole body buffered, then parsed into one document.
        using var memoryHttp = new HttpClient(new FromMemory(body)) { BaseAddress = new Uri("http://wren.invalid/") };
        var buffered = new List<double>();
        var bufferedBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (var run = 0; run < runs; run++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await memoryHttp.GetAsync("api/offset-orders");
            using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
            _ = document.RootElement.GetProperty("offsetOrders").EnumerateArray().Count(o => o.GetProperty("note").GetString() == wanted.Note);
            buffered.Add(clock.Elapsed.TotalMilliseconds);
        }

        var bufferedPerRun = (GC.GetTotalAllocatedBytes(precise: true) - bufferedBefore) / runs;
        buffered.Sort();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Console.WriteLine($"lookup: {orders} orders ({bodyBytes / 1024.0 / 1024.0:F1} MiB of JSON), {runs} runs: median {timings[timings.Count / 2]:F0} ms, min {timings[0]:F0} ms, max {timings[^1]:F0} ms (Wren timeout 30 s)");
        Console.WriteLine($"  allocated per lookup over HTTP, the in-process sandbox's serialisation included: {allocatedPerRun / 1024.0 / 1024.0:F1} MiB");
        Console.WriteLine($"client alone (body from memory): streamed median {clientTimings[clientTimings.Count / 2]:F0} ms, allocated {clientPerRun / 1024.0 / 1024.0:F1} MiB per lookup (garbage per order, nothing kept but the matches)");
        Console.WriteLine($"  buffered JsonDocument (the former lookup): median {buffered[buffered.Count / 2]:F0} ms, allocated {bufferedPerRun / 1024.0 / 1024.0:F1} MiB per lookup (body and document held at once)");
        return 0;
    }
}
