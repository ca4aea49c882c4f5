using System.Diagnostics;
using PuffinOffset.TestSupport;

namespace PuffinOffset.Fulfillment.Tests;

public sealed class StartupTests
{
    [Fact]
    public async Task Fulfillment_refuses_to_start_without_WREN_API_TOKEN()
    {
        using var folder = new TempFolder();
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Fulfillment.dll")])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = folder.Path,
        };
        start.Environment["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1/";
        start.Environment["FULFILLMENT_DATABASE_PATH"] = folder.File("fulfillment.db");
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment.Remove("WREN_API_TOKEN");

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("WREN_API_TOKEN", await stderr);
        Assert.DoesNotContain("   at ", await stderr);
        _ = await stdout;
    }
}
