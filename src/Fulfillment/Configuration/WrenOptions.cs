namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>Wren settings, from <c>WREN_*</c> variables.</summary>
public sealed class WrenOptions
{
    /// <summary>Required even for dry runs (Wren's <c>wren_test_…</c> tokens serve them).</summary>
    public string ApiToken { get; set; } = "";

    public Uri ApiBase { get; set; } = new("https://www.wren.co");

    /// <summary>Sends <c>dryRun: true</c>: Wren validates and prices the order but charges nothing.</summary>
    public bool DryRun { get; set; } = true;

    /// <summary>
    /// <c>WREN_MAX_RETRY_AFTER</c>: the longest pause a 429's <c>Retry-After</c> may impose on this process (and on
    /// the order that got it). A CDN in front of Wren may send a day; we come back after this at the latest.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(15);
}
