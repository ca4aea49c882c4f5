using System.Collections.Concurrent;

namespace PuffinOffset.Api.Webhooks;

/// <summary>
/// Ids of the events this process committed most recently, so that Stripe's redeliveries (it retries any
/// answer it did not see in time) are answered without a database write. Only a shortcut: an id that fell
/// out, or was committed before a restart, is still found as a duplicate by the database.
/// </summary>
public sealed class RecentStripeEvents
{
    public const int Capacity = 65_536;

    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    public bool Contains(string eventId) => _ids.ContainsKey(eventId);

    /// <summary>Call only after the commit that recorded the event returned.</summary>
    public void Add(string eventId)
    {
        if (!_ids.TryAdd(eventId, 0))
        {
            return;
        }

        _order.Enqueue(eventId);
        while (_ids.Count > Capacity && _order.TryDequeue(out var oldest))
        {
            _ids.TryRemove(oldest, out _);
        }
    }
}
