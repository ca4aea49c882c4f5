using System.Text;
using PuffinOffset.StripeSandbox;

namespace PuffinOffset.Replica.Tests;

/// <summary>
/// Delivers signed events to one Api replica as Stripe delivers to an endpoint: signed afresh at each attempt,
/// and retried after a connection failure, a timeout or a 5xx until answered 2xx (Stripe retries for days;
/// here every quarter second, for at most two minutes). Any other answer is a failure of the run.
/// </summary>
public sealed class StripeWebhookSender(ReplicaCluster cluster, int replicas) : IDisposable
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly int[] _accepted = new int[replicas];
    private int _failedAttempts;

    /// <summary>Deliveries answered 2xx by <paramref name="slot"/>'s process (any generation of it).</summary>
    public int Accepted(int slot) => Volatile.Read(ref _accepted[slot]);

    public int AcceptedTotal => _accepted.Sum();

    /// <summary>Attempts that got no answer (process killed or restarting) or a 5xx, and were tried again.</summary>
    public int FailedAttempts => Volatile.Read(ref _failedAttempts);

    public async Task DeliverAsync(int slot, string body)
    {
        var deadline = DateTime.UtcNow + GiveUpAfter;
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(cluster.Api(slot).BaseAddress, "/api/webhooks/stripe"))
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                };
                request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, ReplicaCluster.WebhookSecret));
                using var response = await _http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _accepted[slot]);
                    return;
                }

                if ((int)response.StatusCode < 500)
                {
                    throw new InvalidOperationException($"api-{slot} answered a webhook {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // No answer: the replica is down or restarting. Stripe tries again later.
            }

            Interlocked.Increment(ref _failedAttempts);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"api-{slot} did not accept a webhook within {GiveUpAfter}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    public void Dispose() => _http.Dispose();
}
