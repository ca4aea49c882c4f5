using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using PuffinOffset.Api.Configuration;
using PuffinOffset.Api.Webhooks;
using PuffinOffset.StripeSandbox;
using PuffinOffset.TestSupport;
using Stripe;

namespace PuffinOffset.IngestBench;

/// <summary>
/// The webhook's own work before the writer — read the body, check the signature, parse the event — on one thread,
/// in process: bytes allocated and time per webhook, for this build and for a former build (<c>a=DIR</c>: its
/// <c>StripeWebhookEvent.TryRead(string)</c> loaded from DIR, with the body read into a string and Stripe.net's
/// <c>EventUtility.ValidateSignature</c>, as the endpoint did before). Unlike the ingest rounds, it does not depend on
/// how loaded the machine is for its allocation figure.
/// </summary>
public static class RequestPathBench
{
    private const string Secret = "whsec_BENCHONLY0123456789abcdefghijABCDEFGHIJ";

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var iterations = int.Parse(options.GetValueOrDefault("iterations", "20000"), CultureInfo.InvariantCulture);
        var now = DateTimeOffset.UtcNow;
        var requests = Enumerable.Range(0, 1000).Select(i =>
        {
            var body = StripeEventFixture.For(StripeEventFixture.CompletedPaid, $"cs_test_a1BENCH{i:D8}", Guid.CreateVersion7(), $"evt_BENCH{i:D8}");
            return (Body: Encoding.UTF8.GetBytes(body), Header: WebhookSigner.Header(body, now, Secret));
        }).ToArray();
        Console.WriteLine($"{requests[0].Body.Length} bytes per body, {iterations} webhooks per pass, load average {System.IO.File.ReadAllText("/proc/loadavg")[..14]}");

        var verifier = new StripeSignatureVerifier(Options.Create(new StripeOptions { WebhookSecrets = [Secret] }), TimeProvider.System);
        Func<int, Task<bool>> current = async i =>
        {
            using var body = await StripeWebhookBody.ReadAsync(Request(requests[i].Body), StripeWebhookEndpoint.MaxBodyBytes);
            return verifier.Verify(body!, requests[i].Header).Event is not null;
        };
        var passes = new List<(string Name, Func<int, Task<bool>> Webhook)> { ("current", current) };
        if (options.TryGetValue("a", out var former))
        {
            var tryRead = new AssemblyLoadContext("former").LoadFromAssemblyPath(Path.Combine(Path.GetFullPath(former), "Api.dll"))
                .GetType("PuffinOffset.Api.Webhooks.StripeWebhookEvent")!.GetMethod("TryRead", BindingFlags.Public | BindingFlags.Static, [typeof(string)])!
                .CreateDelegate<Func<string, object?>>();
            passes.Insert(0, ("former", async i =>
            {
                var json = await FormerReadBodyAsync(Request(requests[i].Body));
                EventUtility.ValidateSignature(json, requests[i].Header, Secret, StripeSignatureVerifier.ToleranceSeconds, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                return tryRead(json) is not null;
            }));
        }

        for (var round = 1; round <= 3; round++)
        {
            foreach (var (name, webhook) in passes)
            {
                for (var i = 0; i < 2000; i++)
                {
                    await webhook(i % requests.Length); // warm up (tiered JIT)
                }

                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < iterations; i++)
                {
                    if (!await webhook(i % requests.Length))
                    {
                        throw new InvalidOperationException($"{name}: a signed body did not verify.");
                    }
                }

                var elapsed = clock.Elapsed;
                var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round} {name,-7}: {bytes / 1024.0 / iterations,6:0.00} KiB allocated, {elapsed.TotalMilliseconds * 1000 / iterations,6:0.0} µs per webhook (request body → verified event)"));
            }
        }

        return 0;
    }

    private static DefaultHttpContext Request(byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(body, writable: false);
        context.Request.ContentLength = body.Length;
        return context;
    }

    /// <summary>The endpoint's former body read: a MemoryStream, a 16 KiB chunk, then one string of the body.</summary>
    private static async Task<string> FormerReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
