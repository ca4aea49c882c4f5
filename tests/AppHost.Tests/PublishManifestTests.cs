using System.Text.Json;
using PuffinOffset.TestSupport;

namespace PuffinOffset.AppHost.Tests;

/// <summary>
/// `dotnet run --project src/AppHost -- --publisher manifest --output-path DIR`: what deployment tools
/// read. Production runs on PostgreSQL, with RabbitMQ, and never with a sandbox.
/// </summary>
public sealed class PublishManifestTests
{
    [Fact]
    public async Task The_manifest_has_PostgreSQL_RabbitMQ_and_both_services_and_no_sandbox()
    {
        using var output = new TempFolder();
        var appHost = Projects.AppHost.ProjectPath;
        var outcome = await ServiceProcess.RunUntilExitAsync(
            Path.Combine(appHost, "bin", Configuration, "net10.0", "AppHost.dll"),
            new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" },
            TimeSpan.FromMinutes(2),
            "--publisher", "manifest", "--output-path", output.Path);
        Assert.True(outcome.ExitCode == 0, outcome.Output);

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.Path, "aspire-manifest.json")));
        var resources = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .ToDictionary(r => r.Name, r => r.Value.GetProperty("type").GetString());

        Assert.StartsWith("container.", resources["postgres"]);
        Assert.Equal("value.v0", resources["orders-db"]);
        Assert.Equal("value.v0", resources["fulfillment-db"]);
        Assert.Equal("project.v0", resources["api"]);
        Assert.Equal("project.v0", resources["fulfillment"]);
        Assert.Contains(resources.Keys, name => name == "messaging");
        Assert.DoesNotContain(resources.Keys, name => name.Contains("sandbox", StringComparison.Ordinal));

        var api = manifest.RootElement.GetProperty("resources").GetProperty("api").GetProperty("env");
        Assert.Equal("postgres", api.GetProperty("DATABASE_PROVIDER").GetString());
        Assert.Equal("{orders-db.connectionString}", api.GetProperty("ConnectionStrings__orders").GetString());
        var fulfillment = manifest.RootElement.GetProperty("resources").GetProperty("fulfillment").GetProperty("env");
        Assert.Equal("{fulfillment-db.connectionString}", fulfillment.GetProperty("ConnectionStrings__fulfillment").GetString());
        Assert.False(api.TryGetProperty("STRIPE_API_BASE", out _), "no sandbox address in a published Api");
    }

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif
}
