using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using PuffinOffset.StripeSandbox;

namespace PuffinOffset.IngestBench;

public sealed record RoundResult(int Succeeded, int Failed, double EventsPerSecond, double P50, double P99, double CpuMsPerEvent = 0, double RssMiB = 0, double AllocKiBPerEvent = double.NaN, double NetAllocKiBPerEvent = double.NaN)
{
    public string Summary() => string.Create(CultureInfo.InvariantCulture,
        $"{EventsPerSecond,7:0} events/s, p50 {P50:0.0} ms, p99 {P99:0.0} ms, server CPU {CpuMsPerEvent:0.00} ms/event, {AllocKiBPerEvent:0.0} KiB allocated/event (net of idle {NetAllocKiBPerEvent:0.0}), RSS {RssMiB:0} MiB");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Summary()} ({Succeeded} ok, {Failed} failed)");
}

/// <summary>
/// <c>concurrency</c> senders, each posting the next unsent body (signed just before the round, so signing
/// is not timed) as soon as its previous one was answered, until the round's time is up or the bodies run out.
/// </summary>
public sealed class LoadGenerator(int concurrency, string secret)
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    public async Task<RoundResult> RunAsync(Uri target, IReadOnlyList<string> bodies, TimeSpan duration)
    {
        var now = DateTimeOffset.UtcNow;
        var signed = bodies.Select(b => (Body: Encoding.UTF8.GetBytes(b), Signature: WebhookSigner.Header(b, now, secret))).ToArray();
        var latencies = new double[signed.Length];
        var next = -1;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while (clock.Elapsed < duration && (i = Interlocked.Increment(ref next)) < signed.Length)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(signed[i].Body) };
                request.Content.Headers.ContentType = Json;
                request.Headers.TryAddWithoutValidation("Stripe-Signature", signed[i].Signature);
                var started = Stopwatch.GetTimestamp();
                using var response = await _client.SendAsync(request);
                latencies[i] = response.IsSuccessStatusCode ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : -1;
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        var elapsed = clock.Elapsed;
        var ok = latencies.Take(Math.Min(next + 1, signed.Length)).Where(l => l > 0).Order().ToArray();
        double P(double q) => ok.Length == 0 ? double.NaN : ok[Math.Min(ok.Length - 1, (int)Math.Ceiling(q * ok.Length) - 1)];
        return new RoundResult(ok.Length, failed, ok.Length / elapsed.TotalSeconds, P(0.50), P(0.99));
    }
}
