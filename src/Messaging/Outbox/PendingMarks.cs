namespace PuffinOffset.Messaging.Outbox;

/// <summary>
/// Rows the broker confirmed whose "dispatched" mark is not written yet (SQLite). SQLite has one writer per
/// file, shared with the business transactions (the webhooks' group commit, the consumers, the fulfilment
/// steps); one mark write after every published batch made each of them wait for the lock behind it, so
/// the marks of many batches are written together, at most every <see cref="OutboxOptions.MarkInterval"/>.
/// Until then the rows stay unmarked on disk: a crash republishes them with their stored message ids,
/// which the receivers' inboxes drop, the promise the outbox already makes for a crash between confirm and mark.
/// </summary>
internal sealed class PendingMarks(TimeSpan interval, int limit)
{
    private readonly List<OutboxMessage> _rows = [];
    private DateTimeOffset _oldestConfirm;

    public int Count => _rows.Count;

    /// <summary>
    /// The highest sequence held here. On SQLite sequences are assigned under the write lock, so they follow
    /// commit order: every unmarked row at or below it is held here, failed (and then written at once with the
    /// marks) or an operator's re-queued row, which waits for the next mark write.
    /// </summary>
    public long? Watermark { get; private set; }

    public IReadOnlyList<OutboxMessage> Rows => _rows;

    public bool Holds(OutboxMessage row) => Watermark is { } watermark && row.Sequence <= watermark && _rows.Contains(row);

    public void Add(IReadOnlyCollection<OutboxMessage> confirmed, DateTimeOffset now)
    {
        if (confirmed.Count == 0)
        {
            return;
        }

        if (_rows.Count == 0)
        {
            _oldestConfirm = now;
        }

        _rows.AddRange(confirmed);
        Watermark = Math.Max(Watermark ?? long.MinValue, confirmed.Max(r => r.Sequence));
    }

    /// <summary>How long until the marks must be written; zero when due now, null when none are held.</summary>
    public TimeSpan? DueIn(DateTimeOffset now)
    {
        if (_rows.Count == 0)
        {
            return null;
        }

        var dueIn = _oldestConfirm + interval - now;
        return _rows.Count >= limit || dueIn <= TimeSpan.Zero ? TimeSpan.Zero : dueIn;
    }

    public void Clear()
    {
        _rows.Clear();
        Watermark = null;
    }
}
