namespace PuffinOffset.Fulfillment.Configuration;

/// <summary>Wren settings, from <c>WREN_*</c> variables.</summary>
public sealed class WrenOptions
{
    /// <summary>Required even for dry runs (Wren's <c>wren_test_…</c> tokens serve them).</summary>
    public string ApiToken { get; set; } = "";

    public Uri ApiBase { get; set; } = new("https://www.wren.co");

    /// <summary>Sends <c>dryRun: true</c>: Wren validates and prices the order but charges nothing.</summary>
    public bool DryRun { get; set; } = true;
}
