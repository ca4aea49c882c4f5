using System.Collections.Concurrent;

namespace PuffinOffset.WrenSandbox;

/// <summary>What the sandbox received and stored, and the faults queued for the next requests.</summary>
public sealed class SandboxState
{
    private readonly ConcurrentQueue<PostFault> _postFaults = new();
    private readonly ConcurrentQueue<int> _lookupFaults = new();
    private readonly ConcurrentQueue<ReceivedPost> _posts = new();
    private readonly ConcurrentQueue<StoredOrder> _orders = new();
    private readonly ListedOrders _listed = new();
    private readonly ConcurrentDictionary<long, InFlightPost> _inFlight = new();
    private long _sequence;
    private long _inFlightKeys;
    private int _postsStarted;
    private int _postsInFlight;
    private int _lookupsReceived;
    private RateFault? _failingRate;
    private RateFault? _slowRate;

    /// <summary>Recorded when a POST is answered (or dropped); a slow one shows up in <see cref="PostsStarted"/> first.</summary>
    public IReadOnlyList<ReceivedPost> ReceivedPosts => [.. _posts];

    /// <summary>POSTs whose handling has begun, answered or not.</summary>
    public int PostsStarted => Volatile.Read(ref _postsStarted);

    /// <summary>POSTs begun and not yet answered (nor dropped, nor abandoned by their client).</summary>
    public int PostsInFlight => Volatile.Read(ref _postsInFlight);

    /// <summary>The POSTs being worked on now, with their notes and when each will be answered at the earliest.</summary>
    public IReadOnlyList<InFlightPost> InFlightPosts => [.. _inFlight.Values];

    /// <summary><c>GET /api/offset-orders</c> requests received (lookups by note).</summary>
    public int LookupsReceived => Volatile.Read(ref _lookupsReceived);

    /// <summary>Writes <c>GET /api/offset-orders</c>'s body: every stored order, newest first (none for a test token).</summary>
    internal Task WriteOrderListAsync(Stream body, bool testMode, CancellationToken cancellationToken) =>
        _listed.WriteAsync(body, testMode, cancellationToken);

    /// <summary>In the order they were stored (oldest first).</summary>
    public IReadOnlyList<StoredOrder> Orders => [.. _orders];

    /// <summary>Answers the next <paramref name="count"/> POSTs with <paramref name="status"/> and creates nothing.</summary>
    public void FailNextPosts(int count, int status) => Enqueue(count, new PostFault.Status(status));

    /// <summary>
    /// Answers the next <paramref name="count"/> POSTs with 429 and creates nothing; <paramref name="retryAfter"/>
    /// (seconds, or an HTTP date) is sent as <c>Retry-After</c> when given.
    /// </summary>
    public void RateLimitNextPosts(int count, string? retryAfter) => Enqueue(count, new PostFault.RateLimited(retryAfter));

    /// <summary>
    /// From now on, <paramref name="percent"/> % of the POSTs not taken by a queued fault answer <paramref name="status"/>
    /// and create nothing, spread evenly (at 10 %: the 10th, 20th, …), so a run is repeatable. 0 turns it off.
    /// </summary>
    public void FailPostsAtRate(int percent, int status) => Volatile.Write(ref _failingRate, RateFault.Create(percent, new PostFault.Status(status)));

    /// <summary>
    /// From now on, <paramref name="percent"/> % of the POSTs not taken by a queued fault or the failing rate are
    /// answered after <paramref name="delay"/>, and the order is stored even if the client has gone by then
    /// (a slow Wren finishes what it started). 0 turns it off.
    /// </summary>
    public void SlowPostsAtRate(int percent, TimeSpan delay) => Volatile.Write(ref _slowRate, RateFault.Create(percent, new PostFault.StoreAfterDelay(delay)));

    /// <summary>Holds the next POSTs for <paramref name="delay"/> before handling them normally.</summary>
    public void DelayNextPosts(int count, TimeSpan delay) => Enqueue(count, new PostFault.Delay(delay));

    /// <summary>Holds the next POST until the returned source is completed, then handles it normally.</summary>
    public TaskCompletionSource HoldNextPost()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _postFaults.Enqueue(new PostFault.Hold(release.Task));
        return release;
    }

    /// <summary>
    /// Works on the next POSTs for <paramref name="delay"/> and then stores the order even if the client has
    /// gone (timed out, shut down): Wren finishing a request nobody waits for any more.
    /// </summary>
    public void StoreAfterDelayForNextPosts(int count, TimeSpan delay) => Enqueue(count, new PostFault.StoreAfterDelay(delay));

    /// <summary>Stores the next orders and answers 200 with an empty JSON object (no <c>id</c>).</summary>
    public void AnswerWithoutIdForNextPosts(int count) => Enqueue(count, new PostFault.OkWithoutId());

    /// <summary>Adds an order as if placed earlier (e.g. a duplicate with the same note), for lookup tests and benchmarks.</summary>
    public StoredOrder Seed(decimal tons, string? note, DateTimeOffset createdAt) => Store(tons, note, createdAt);

    /// <summary>Stores the next orders, then aborts the connection instead of answering (a lost response).</summary>
    public void DropConnectionAfterStoringNextPosts(int count) => Enqueue(count, new PostFault.StoreThenDrop());

    /// <summary>Answers the next <paramref name="count"/> <c>GET /api/offset-orders</c> with <paramref name="status"/>.</summary>
    public void FailNextLookups(int count, int status)
    {
        for (var i = 0; i < count; i++)
        {
            _lookupFaults.Enqueue(status);
        }
    }

    public void ClearFaults()
    {
        _postFaults.Clear();
        _lookupFaults.Clear();
        Volatile.Write(ref _failingRate, null);
        Volatile.Write(ref _slowRate, null);
    }

    public void Reset()
    {
        ClearFaults();
        Interlocked.Exchange(ref _postsStarted, 0);
        Interlocked.Exchange(ref _lookupsReceived, 0);
        _posts.Clear();
        _orders.Clear();
        _listed.Clear();
    }

    internal void PostStarted()
    {
        Interlocked.Increment(ref _postsStarted);
        Interlocked.Increment(ref _postsInFlight);
    }

    internal void PostEnded() => Interlocked.Decrement(ref _postsInFlight);

    /// <summary>Lists a POST under <see cref="InFlightPosts"/> until the returned handle is disposed.</summary>
    internal IDisposable TrackInFlight(string? note, DateTimeOffset answerNotBefore)
    {
        var key = Interlocked.Increment(ref _inFlightKeys);
        _inFlight[key] = new InFlightPost(note, answerNotBefore);
        return new InFlightHandle(() => _inFlight.TryRemove(key, out _));
    }

    private sealed class InFlightHandle(Action end) : IDisposable
    {
        public void Dispose() => end();
    }

    internal void LookupReceived() => Interlocked.Increment(ref _lookupsReceived);

    internal PostFault? TakePostFault() => _postFaults.TryDequeue(out var fault) ? fault
        : Volatile.Read(ref _failingRate)?.Take() ?? Volatile.Read(ref _slowRate)?.Take();

    internal int? TakeLookupFault() => _lookupFaults.TryDequeue(out var status) ? status : null;

    internal void Record(ReceivedPost post) => _posts.Enqueue(post);

    internal StoredOrder Store(decimal tons, string? note, DateTimeOffset now)
    {
        var order = new StoredOrder($"ch_sandbox_{Interlocked.Increment(ref _sequence):D6}", tons, now, note);
        _orders.Enqueue(order);
        _listed.Add(order);
        return order;
    }

    private void Enqueue(int count, PostFault fault)
    {
        for (var i = 0; i < count; i++)
        {
            _postFaults.Enqueue(fault);
        }
    }
}

/// <summary>A fault for <see cref="Percent"/> % of the requests that ask, spread evenly: request n takes it when n × percent / 100 steps up.</summary>
internal sealed class RateFault(int percent, PostFault fault)
{
    private long _asked;

    public int Percent => percent;

    public static RateFault? Create(int percent, PostFault fault) => percent switch
    {
        0 => null,
        > 0 and <= 100 => new RateFault(percent, fault),
        _ => throw new ArgumentOutOfRangeException(nameof(percent), percent, "A percentage is between 0 and 100."),
    };

    public PostFault? Take()
    {
        var n = Interlocked.Increment(ref _asked);
        return n * percent / 100 != (n - 1) * percent / 100 ? fault : null;
    }
}

public abstract record PostFault
{
    private PostFault() { }

    public sealed record Status(int Code) : PostFault;

    public sealed record Delay(TimeSpan Duration) : PostFault;

    public sealed record StoreThenDrop : PostFault;

    public sealed record StoreAfterDelay(TimeSpan Duration) : PostFault;

    public sealed record OkWithoutId : PostFault;

    public sealed record RateLimited(string? RetryAfter) : PostFault;

    public sealed record Hold(Task Released) : PostFault;
}

/// <summary>One POST as the sandbox saw it: <see cref="At"/> when it arrived, <see cref="Answer"/> the status sent (0 = connection dropped).</summary>
public sealed record ReceivedPost(DateTimeOffset At, bool TestMode, decimal? Tons, int? PortfolioId, string? Note, bool DryRun, int Answer);

/// <summary>A POST being worked on: its note, and the earliest time it will be answered (later than now for a slow one).</summary>
public sealed record InFlightPost(string? Note, DateTimeOffset AnswerNotBefore);

public sealed record StoredOrder(string Id, decimal Tons, DateTimeOffset CreatedAt, string? Note);
