using Microsoft.Playwright;

namespace PuffinOffset.EndToEnd.Tests.Support;

/// <summary>
/// Debian's Chromium driven by Playwright (never a downloaded browser), and screenshots of each step saved
/// under the test output's <c>artifacts/screenshots/{journey}/</c>.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly string _screenshots;
    private int _step;

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _notFound = new();

    private HeadlessChromium(IPlaywright playwright, IBrowser browser, IPage page, string screenshots)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        _screenshots = screenshots;
        // What the browser's console would show as "404 (Not Found)": a missing favicon, script or stylesheet.
        page.Response += (_, response) =>
        {
            if (response.Status == 404)
            {
                _notFound.Enqueue(response.Url);
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Every URL the page was answered 404 for, page loads and the browser's own requests (favicon) included.</summary>
    public IReadOnlyList<string> NotFound => [.. _notFound];

    public static string ScreenshotFolder(string journey) =>
        Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots", journey);

    public static async Task<HeadlessChromium> LaunchAsync(string journey)
    {
        Assert.True(File.Exists(ExecutablePath), $"{ExecutablePath} is missing: run scripts/install-dependencies.sh --browser");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 760 } });
        page.SetDefaultTimeout(30_000);
        var folder = ScreenshotFolder(journey);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        return new HeadlessChromium(playwright, browser, page, folder);
    }

    /// <summary>Saves the page as <c>NN-name.png</c>, numbered in the order of the journey.</summary>
    /// <param name="fullPage">False keeps to the viewport (a modal dialog's backdrop covers only that).</param>
    public async Task ScreenshotAsync(string name, bool fullPage = true)
    {
        _step++;
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_screenshots, $"{_step:00}-{name}.png"), FullPage = fullPage });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
