using System.Globalization;
using System.Text.Encodings.Web;

namespace PuffinOffset.StripeSandbox.HostedCheckout;

/// <summary>The sandbox pages' shared frame: plain server-rendered HTML with a little CSS; every value is encoded.</summary>
public static class SandboxHtml
{
    private const string Styles = """
        :root { --ink: #1a1f36; --accent: #635bff; --muted: #6b7385; --line: #e3e8ee; --warn: #b3261e; }
        * { box-sizing: border-box; }
        body { margin: 0; font-family: system-ui, sans-serif; color: var(--ink); background: #f6f9fc; }
        .banner { background: #fff3cd; color: #664d03; text-align: center; padding: .5rem; font-size: .9rem; }
        main { max-width: 56rem; margin: 2rem auto; display: flex; gap: 2rem; flex-wrap: wrap; padding: 0 1rem; }
        section { flex: 1 1 22rem; background: white; border: 1px solid var(--line); border-radius: .75rem; padding: 1.5rem 2rem; }
        h1 { font-size: 1.3rem; margin-top: 0; }
        .amount { font-size: 2rem; font-weight: 700; margin: .5rem 0; }
        .muted { color: var(--muted); font-size: .9rem; }
        label { display: block; margin-top: 1rem; font-weight: 600; font-size: .9rem; }
        input { width: 100%; padding: .55rem; margin-top: .3rem; font-size: 1rem; border: 1px solid var(--line); border-radius: .4rem; }
        input[readonly] { background: #f6f9fc; }
        button { width: 100%; margin-top: .75rem; padding: .7rem; font-size: 1rem; border-radius: .4rem; border: 1px solid var(--accent); cursor: pointer; }
        button.primary { background: var(--accent); color: white; }
        button.secondary { background: white; color: var(--accent); }
        button.link { border: 0; background: none; color: var(--muted); text-decoration: underline; }
        table { width: 100%; border-collapse: collapse; font-size: .9rem; }
        th, td { text-align: left; padding: .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        td form { display: inline; }
        td:last-child { white-space: nowrap; }
        td button { width: auto; margin: 0 .25rem 0 0; padding: .3rem .8rem; }
        .error { color: var(--warn); }
        code { font-size: .8rem; word-break: break-all; }
        """;

    public static string Encode(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    public static IResult Page(string title, string body, int statusCode = StatusCodes.Status200OK) => Results.Content($"""
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>{Encode(title)}</title>
          <link rel="icon" href="/storefront/favicon.svg" type="image/svg+xml">
          <style>{Styles}</style>
        </head>
        <body>
          <div class="banner">Stripe sandbox: a local imitation of Stripe Checkout. No real payment is made.</div>
          <main>
        {body}
          </main>
        </body>
        </html>
        """, "text/html; charset=utf-8", statusCode: statusCode);

    public static IResult Message(string title, string text, int statusCode) =>
        Page(title, $"""<section><h1 id="message-title">{Encode(title)}</h1><p id="message">{Encode(text)}</p></section>""", statusCode);

    /// <summary>Minor units as the customer reads them: 2500 usd → $25.00.</summary>
    public static string Money(long amount, string? currency)
    {
        var major = (amount / 100m).ToString("#,0.00", CultureInfo.InvariantCulture);
        return string.Equals(currency, "usd", StringComparison.OrdinalIgnoreCase) ? $"${major}" : $"{major} {currency?.ToUpperInvariant()}";
    }
}
