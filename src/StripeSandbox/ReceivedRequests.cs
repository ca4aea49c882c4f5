using System.Collections.Concurrent;

namespace PuffinOffset.StripeSandbox;

/// <summary>One request as the sandbox saw it, and how it answered.</summary>
public sealed record ReceivedRequest(
    string Method,
    string Path,
    string? IdempotencyKey,
    string? StripeVersion,
    IReadOnlyDictionary<string, string> Form,
    int Status,
    bool Replayed,
    DateTimeOffset ReceivedAt);

public sealed class ReceivedRequests
{
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();

    public IReadOnlyList<ReceivedRequest> All => _requests.ToArray();

    public void Add(ReceivedRequest request) => _requests.Enqueue(request);

    public void Clear() => _requests.Clear();
}
