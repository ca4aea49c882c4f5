using System.Collections.Concurrent;

namespace PuffinOffset.StripeSandbox;

/// <summary>
/// Stripe's idempotency layer: the first response to a key is saved with the request's parameters; the
/// same key with the same parameters replays it, with different parameters is an idempotency_error.
/// Requests with one key run one at a time (real Stripe answers a concurrent one 409, which Stripe.net retries).
/// </summary>
public sealed class IdempotencyRecords
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();
    private readonly ConcurrentDictionary<string, SavedResponse> _saved = new();

    public sealed record SavedResponse(string ParametersFingerprint, int Status, object Body);

    public async Task<IDisposable> LockAsync(string key, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Release(gate);
    }

    public SavedResponse? Find(string key) => _saved.TryGetValue(key, out var saved) ? saved : null;

    public void Save(string key, SavedResponse response) => _saved[key] = response;

    private sealed class Release(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
