using System.Net;
using System.Text;
using PuffinOffset.StripeSandbox;

namespace PuffinOffset.TestSupport;

/// <summary>
/// Delivers signed events to Api processes as Stripe delivers to an endpoint: signed afresh at each attempt,
/// and retried after a connection failure, a timeout or a 5xx until answered 2xx (Stripe retries for days;
/// here every quarter second, for at most two minutes). Any other answer is a failure of the run.
/// <paramref name="apiAddress"/> gives the base address of the Api in each slot (looked up at every attempt,
/// so a slot restarted as a new process is found).
/// </summary>
public sealed class StripeWebhookSender(string webhookSecret, Func<int, Uri> apiAddress, int slots = 1) : IDisposable
{
    public const string WebhookPath = "/api/webhooks/stripe";

    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly int[] _accepted = new int[slots];
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
            if (await SendOnceAsync(slot, body) is HttpStatusCode.OK)
            {
                return;
            }

            Interlocked.Increment(ref _failedAttempts);
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The Api in slot {slot} did not accept a webhook within {GiveUpAfter}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>
    /// One attempt: 200 for any 2xx, the status of a 5xx, or null when no answer came (the process was killed
    /// or is restarting, the connection was refused or reset, the attempt timed out). A 4xx throws.
    /// </summary>
    public async Task<HttpStatusCode?> SendOnceAsync(int slot, string body)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(apiAddress(slot), WebhookPath))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Stripe-Signature", WebhookSigner.Header(body, DateTimeOffset.UtcNow, webhookSecret));
            using var response = await _http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _accepted[slot]);
                return HttpStatusCode.OK;
            }

            if ((int)response.StatusCode < 500)
            {
                throw new InvalidOperationException($"The Api in slot {slot} answered a webhook {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            // No answer: the process is down or restarting. Stripe tries again later.
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
