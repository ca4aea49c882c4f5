namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Stripe's and Wren's API bases carry a secret key on every request: in Production plain http is refused
/// unless it stays on this machine (a local stand-in or a sidecar proxy on loopback).
/// </summary>
public static class ClearTextUpstream
{
    public static bool IsRefused(Uri apiBase, IHostEnvironment? environment) =>
        environment?.IsProduction() == true && apiBase.Scheme == Uri.UriSchemeHttp && !apiBase.IsLoopback;

    public static string Refusal(string variable) =>
        $"{variable} must be an https URL in Production (plain http only to this machine's loopback): "
        + "over http to another host the secret key would travel in clear text.";
}
