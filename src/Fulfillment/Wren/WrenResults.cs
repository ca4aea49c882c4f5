namespace PuffinOffset.Fulfillment.Wren;

/// <summary>What a <c>POST /api/offset-orders</c> proved about the order at Wren.</summary>
public abstract record WrenPlaceResult
{
    private WrenPlaceResult() { }

    /// <summary>2xx with an id, or any 2xx on a dry run (whose id is null).</summary>
    public sealed record Created(string? WrenOrderId, long AmountCharged) : WrenPlaceResult;

    /// <summary>400/401/402/403 and other 4xx: permanent; <paramref name="Reason"/> is ours and safe to show an operator.</summary>
    public sealed record Rejected(int Status, string Reason) : WrenPlaceResult;

    /// <summary>
    /// Transient, and Wren certainly did not create the order (429, connection refused). A 429 carries
    /// <paramref name="RateLimit"/>: Wren asked us to slow down, with its <c>Retry-After</c> if it sent one.
    /// </summary>
    public sealed record NotCreated(string Error, WrenRateLimited? RateLimit = null) : WrenPlaceResult;

    /// <summary>Transient, and Wren may have created the order (timeout, lost connection, 408, 5xx).</summary>
    public sealed record Unknown(string Error) : WrenPlaceResult;

    public string Outcome => this switch
    {
        Created => "created",
        Rejected => "rejected",
        NotCreated => "not_created",
        _ => "unknown",
    };
}

/// <summary>What <c>GET /api/offset-orders</c> said about the order with our note.</summary>
public abstract record WrenLookupResult
{
    private WrenLookupResult() { }

    /// <summary>The oldest match is the order; <paramref name="AllIds"/> lists every match, oldest first (more than one: duplicates).</summary>
    public sealed record Found(string WrenOrderId, IReadOnlyList<string> AllIds) : WrenLookupResult
    {
        public IReadOnlyList<string> Duplicates => [.. AllIds.Skip(1)];
    }

    public sealed record NotFound : WrenLookupResult;

    public sealed record Failed(string Error, WrenRateLimited? RateLimit = null) : WrenLookupResult;
}

public sealed record WrenOrderRequest(decimal Tons, int PortfolioId, string Note, bool DryRun);

/// <summary>
/// Wren answered 429. <c>Retry-After</c> is either a number of seconds or an HTTP date; both are kept as
/// sent, and <see cref="Until"/> turns them into a moment with the caller's clock.
/// </summary>
public sealed record WrenRateLimited(TimeSpan? RetryAfterDelay, DateTimeOffset? RetryAfterDate)
{
    /// <summary>When Wren may be asked again, or null when it did not say.</summary>
    public DateTimeOffset? Until(DateTimeOffset now) => RetryAfterDelay is { } delay
        ? now + (delay > TimeSpan.Zero ? delay : TimeSpan.Zero)
        : RetryAfterDate is { } date ? (date > now ? date : now) : null;

    public static WrenRateLimited From(System.Net.Http.Headers.RetryConditionHeaderValue? retryAfter) =>
        new(retryAfter?.Delta, retryAfter?.Date);
}
