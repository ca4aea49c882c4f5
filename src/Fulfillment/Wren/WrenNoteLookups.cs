namespace PuffinOffset.Fulfillment.Wren;

/// <summary>
/// Lookups by note share reads of Wren's order list. The list has no filter and grows with every order ever placed,
/// so a read costs Wren and us in proportion to the account's history; after an incident (Wren answering 503, answers
/// lost) many fulfilments look up their notes at once, and one read per lookup, each retried, is what made lookups
/// time out in the 30-minute chaos soak (docs/scaling.md). Here, the lookups asked for while a read is in flight wait
/// and share the next read. Every answer still comes from a read that began after its lookup was asked for, as a read
/// of its own would: an order Wren stored before the lookup was asked for is in it.
/// </summary>
public sealed class WrenNoteLookups
{
    private readonly Lock _lock = new();
    private Batch? _open;
    private Task _last = Task.CompletedTask;

    /// <summary>The orders carrying <paramref name="note"/>, from the next read of the list that begins after this call.</summary>
    /// <param name="read">Reads the list once for a set of notes (used if this lookup opens the next read).</param>
    /// <param name="timeout">This lookup's bound, the wait for a read in flight included.</param>
    public async Task<WrenLookupResult> FindAsync(string note, Func<IReadOnlyCollection<string>, Task<NotesRead>> read,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        Batch batch;
        lock (_lock)
        {
            if (_open is null)
            {
                _open = new Batch(read);
                var previous = _last;
                var opened = _open;
                _last = Task.Run(() => ReadAfterAsync(previous, opened), CancellationToken.None);
            }

            batch = _open;
            batch.Notes.Add(note.Trim());
        }

        try
        {
            return (await batch.Result.Task.WaitAsync(timeout, cancellationToken)).For(note.Trim());
        }
        catch (TimeoutException)
        {
            return new WrenLookupResult.Failed("order lookup failed: timed out");
        }
    }

    private async Task ReadAfterAsync(Task previous, Batch batch)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        string[] notes;
        lock (_lock)
        {
            // Closed from here: a lookup asked for from now on opens the next read, which begins after this one.
            if (_open == batch)
            {
                _open = null;
            }

            notes = [.. batch.Notes];
        }

        try
        {
            batch.Result.TrySetResult(await batch.Read(notes));
        }
        catch (Exception ex)
        {
            batch.Result.TrySetResult(NotesRead.Failed(new WrenLookupResult.Failed($"order lookup failed: {ex.GetType().Name}")));
        }
    }

    private sealed class Batch(Func<IReadOnlyCollection<string>, Task<NotesRead>> read)
    {
        public Func<IReadOnlyCollection<string>, Task<NotesRead>> Read { get; } = read;

        public HashSet<string> Notes { get; } = new(StringComparer.OrdinalIgnoreCase);

        public TaskCompletionSource<NotesRead> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>One read of the list for a set of notes: the matches of each note as listed, or why the read failed.</summary>
public sealed class NotesRead
{
    private readonly IReadOnlyDictionary<string, List<WrenListedOrder>> _matches;
    private readonly WrenLookupResult.Failed? _failure;

    private NotesRead(IReadOnlyDictionary<string, List<WrenListedOrder>> matches, WrenLookupResult.Failed? failure)
    {
        _matches = matches;
        _failure = failure;
    }

    public static NotesRead Succeeded(IReadOnlyDictionary<string, List<WrenListedOrder>> matches) => new(matches, null);

    public static NotesRead Failed(WrenLookupResult.Failed failure) => new(new Dictionary<string, List<WrenListedOrder>>(), failure);

    /// <summary>Several matches mean duplicates: the oldest is the order, all are reported.</summary>
    public WrenLookupResult For(string note)
    {
        if (_failure is not null)
        {
            return _failure;
        }

        if (!_matches.TryGetValue(note, out var matches) || matches.Count == 0)
        {
            return new WrenLookupResult.NotFound();
        }

        var byAge = matches.OrderBy(m => m.CreatedAt ?? DateTimeOffset.MaxValue).ThenBy(m => m.Position).Select(m => m.Id).ToList();
        return new WrenLookupResult.Found(byAge[0], byAge);
    }
}
